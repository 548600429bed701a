import { FilterState, type ReceiveFilter, type ReceiveFilterContext } from '@socketlite/app-server'
import { EchoFrame } from './echo-frame.js'

/**
 * The `raw` protocol: no framing. Every chunk the transport delivers (every datagram, for UDP) is one
 * {@link EchoFrame}, a view of the chunk, cut into pieces of at most `maxRequestLength` bytes. It never fails and
 * never holds bytes.
 */
export class RawEchoFilter implements ReceiveFilter<EchoFrame> {
  /** Always `FilterState.Normal`. */
  get state(): FilterState {
    return FilterState.Normal
  }

  /** Always 0: nothing is held between chunks. */
  get leftBufferSize(): number {
    return 0
  }

  /** Hands out `data[offset, offset + min(length, maxRequestLength))` as one frame. */
  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<EchoFrame>): number {
    const size = Math.min(length, context.maxRequestLength)
    context.request = new EchoFrame(data.subarray(offset, offset + size))
    return size
  }

  /** Nothing to forget. */
  reset(): void {}
}
