import type net from 'node:net'

/**
 * The far end of a session under test, as {@link sessionCompliance} drives it. Stream transports (TCP, TLS)
 * implement every member; a datagram transport (UDP) leaves out the optional ones.
 */
export interface CompliancePeer {
  /** Send bytes to the session (one datagram each, for datagram transports). */
  write(data: Uint8Array): void
  /** Resolve with exactly the next `byteCount` bytes the session sent, waiting at most `timeoutMs` (default 2000). */
  read(byteCount: number, timeoutMs?: number): Promise<Buffer>
  /** Stream only: end the peer's side (TCP FIN). */
  end?(): void
  /** Stream only: abort the connection with a reset (TCP RST). */
  reset?(): void
  /** Stream only: stop reading, so the session's writes back up. */
  pause?(): void
  /** Stream only: read again after `pause`. */
  resume?(): void
  /** Stream only: resolve once the session ended its side and every byte before the end was read. */
  ended?(timeoutMs?: number): Promise<void>
  /** Stream only: drop every byte received and not yet read; returns how many (a reader that only counts). */
  discard?(): number
  /** Release the peer (destroy its socket). */
  close(): void
}

/** Options of {@link streamPeer}. */
export interface StreamPeerOptions {
  /**
   * The raw TCP socket under `socket` when `socket` is a TLS socket: `reset()` resets it (a TLS socket cannot
   * send an RST itself).
   * @default socket
   */
  rawSocket?: net.Socket
}

/**
 * A {@link CompliancePeer} over a connected client socket (`net.Socket` or `tls.TLSSocket`). It reads everything
 * into an internal buffer from the start, so `read` never loses bytes; `pause` stops reading at the socket.
 */
export function streamPeer(socket: net.Socket, options: StreamPeerOptions = {}): CompliancePeer {
  const chunks: Buffer[] = []
  let buffered = 0
  let endSeen = false
  let closedSeen = false
  const waiting = new Set<() => void>()
  const notify = (): void => {
    const callbacks = [...waiting]
    waiting.clear()
    for (const callback of callbacks) callback()
  }
  socket.on('error', () => {})
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    buffered += chunk.length
    notify()
  })
  socket.on('end', () => {
    endSeen = true
    notify()
  })
  socket.on('close', () => {
    closedSeen = true
    notify()
  })
  const take = (byteCount: number): Buffer => {
    const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
    chunks.length = 0
    const head = all.subarray(0, byteCount)
    const rest = all.subarray(byteCount)
    if (rest.length > 0) chunks.push(rest)
    buffered -= byteCount
    return Buffer.from(head)
  }
  const waitUntil = (ready: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs
      const check = (): void => {
        if (ready()) {
          clearTimeout(timer)
          resolve()
        } else if (closedSeen || Date.now() >= deadline) {
          clearTimeout(timer)
          reject(new Error(`streamPeer: ${what} (${buffered} bytes buffered, ended: ${endSeen})`))
        } else waiting.add(check)
      }
      const timer = setTimeout(() => {
        waiting.delete(check)
        reject(new Error(`streamPeer: timed out after ${timeoutMs} ms: ${what} (${buffered} bytes buffered)`))
      }, timeoutMs)
      check()
    })
  return {
    write(data) {
      socket.write(data)
    },
    async read(byteCount, timeoutMs = 2_000) {
      await waitUntil(() => buffered >= byteCount, timeoutMs, `waiting for ${byteCount} bytes`)
      return take(byteCount)
    },
    end() {
      socket.end()
    },
    reset() {
      const raw = options.rawSocket ?? socket
      raw.resetAndDestroy()
    },
    pause() {
      socket.pause()
    },
    resume() {
      socket.resume()
    },
    discard() {
      const count = buffered
      chunks.length = 0
      buffered = 0
      return count
    },
    ended(timeoutMs = 2_000) {
      return waitUntil(() => endSeen, timeoutMs, 'waiting for the end of the stream')
    },
    close() {
      socket.destroy()
    },
  }
}
