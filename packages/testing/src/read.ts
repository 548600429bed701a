import type { Readable } from 'node:stream'

function describeEnd(stream: Readable): string {
  return stream.destroyed ? 'was closed' : 'ended'
}

/**
 * Read exactly `byteCount` bytes from `stream` (a socket), waiting at most `timeoutMs`.
 * It reads in paused mode, so bytes after the `byteCount` stay in the stream for the next call: call it again to
 * read the next message. Do not mix it with a `data` listener on the same stream.
 * Rejects when the stream ends, closes or fails first, or when the time is up.
 * @default timeoutMs 2000
 */
export function readBytes(stream: Readable, byteCount: number, timeoutMs = 2_000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let done = false
    const finish = (error: Error | undefined, data?: Buffer): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      stream.removeListener('readable', tryRead)
      stream.removeListener('end', onEnd)
      stream.removeListener('close', onEnd)
      stream.removeListener('error', onError)
      if (error !== undefined) reject(error)
      else resolve(data as Buffer)
    }
    const tryRead = (): void => {
      if (byteCount === 0) {
        finish(undefined, Buffer.alloc(0))
        return
      }
      const chunk = stream.read(byteCount) as Buffer | null
      if (chunk === null) return
      if (chunk.length < byteCount) {
        finish(new Error(`readBytes: the stream ${describeEnd(stream)} after ${chunk.length} of ${byteCount} bytes`))
      } else finish(undefined, chunk)
    }
    const onEnd = (): void => {
      tryRead()
      finish(new Error(`readBytes: the stream ${describeEnd(stream)} before ${byteCount} bytes arrived`))
    }
    const onError = (error: Error): void => finish(error)
    const timer = setTimeout(
      () =>
        finish(new Error(`readBytes: timed out after ${timeoutMs} ms (${stream.readableLength}/${byteCount} bytes)`)),
      timeoutMs,
    )
    stream.on('readable', tryRead)
    stream.once('end', onEnd)
    stream.once('close', onEnd)
    stream.once('error', onError)
    if (stream.readableEnded) onEnd()
    else tryRead()
  })
}

/**
 * Read everything until the peer ends the stream (FIN), waiting at most `timeoutMs`; resolves with the bytes.
 * Rejects when the stream fails or closes without an end, or when the time is up.
 * @default timeoutMs 2000
 */
export function readUntilEnd(stream: Readable, timeoutMs = 2_000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let done = false
    const finish = (error: Error | undefined): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      stream.removeListener('readable', drain)
      stream.removeListener('end', onEnd)
      stream.removeListener('close', onClose)
      stream.removeListener('error', onError)
      if (error !== undefined) reject(error)
      else resolve(Buffer.concat(chunks))
    }
    const drain = (): void => {
      for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) {
        chunks.push(chunk)
      }
    }
    const onEnd = (): void => finish(undefined)
    const onClose = (): void => {
      if (stream.readableEnded) finish(undefined)
      else finish(new Error('readUntilEnd: the stream closed without an end'))
    }
    const onError = (error: Error): void => finish(error)
    const timer = setTimeout(() => finish(new Error(`readUntilEnd: no end within ${timeoutMs} ms`)), timeoutMs)
    stream.on('readable', drain)
    stream.once('end', onEnd)
    stream.once('close', onClose)
    stream.once('error', onError)
    if (stream.readableEnded) finish(undefined)
    else drain()
  })
}
