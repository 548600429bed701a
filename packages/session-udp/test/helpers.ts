import dgram from 'node:dgram'
import { once } from 'node:events'
import type { AddressFamily, EndPoint } from '@socketlite/socket-base'
import type { CompliancePeer } from '@socketlite/testing'
import { onTestFinished } from 'vitest'
import type { DatagramSender } from '../src/index.js'

/** Room for thousands of small datagrams in flight on loopback (the kernel caps it at `rmem_max`). */
const socketBufferSize = 4 * 1_048_576

function endPointOf(address: { address: string; port: number; family: string }): EndPoint {
  const family: AddressFamily = address.family === 'IPv6' ? 'IPv6' : 'IPv4'
  return { address: address.address, port: address.port, family }
}

/** A bound UDP socket on loopback port 0, as a {@link DatagramSender}, with its datagrams handed to `onMessage`. */
export interface BoundSocket extends DatagramSender {
  readonly socket: dgram.Socket
  readonly endPoint: EndPoint
  onMessage: (data: Buffer, remote: EndPoint) => void
  close(): Promise<void>
}

/** Bind a UDP socket on `host` port 0 (closed by `onTestFinished` unless `register` is false). */
export async function bindUdp(host = '127.0.0.1', register = true): Promise<BoundSocket> {
  const socket = dgram.createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize: socketBufferSize,
    sendBufferSize: socketBufferSize,
  })
  socket.on('error', () => {})
  socket.bind({ address: host, port: 0 })
  await once(socket, 'listening', { signal: AbortSignal.timeout(2_000) })
  let closed = false
  const bound: BoundSocket = {
    socket,
    endPoint: endPointOf(socket.address()),
    maxDatagramSize: host.includes(':') ? 65_527 : 65_507,
    onMessage: () => {},
    send(data, remote, callback) {
      if (closed) {
        process.nextTick(callback, new Error('socket closed'))
        return
      }
      socket.send(data, remote.port, remote.address, callback)
    },
    close() {
      if (closed) return Promise.resolve()
      closed = true
      return new Promise<void>((resolve) => socket.close(() => resolve()))
    },
  }
  socket.on('message', (data, remote) => bound.onMessage(data, endPointOf(remote)))
  if (register) onTestFinished(() => bound.close())
  return bound
}

/** Collects the datagrams a socket receives and waits for them. */
export class DatagramInbox {
  readonly datagrams: Buffer[] = []
  readonly #waiting = new Set<() => void>()

  constructor(bound: BoundSocket) {
    bound.onMessage = (data) => {
      this.datagrams.push(data)
      for (const wake of [...this.#waiting]) wake()
    }
  }

  /** Resolve once at least `count` datagrams arrived, at most `timeoutMs`. */
  waitFor(count: number, timeoutMs = 2_000): Promise<Buffer[]> {
    return new Promise<Buffer[]>((resolve, reject) => {
      const check = (): void => {
        if (this.datagrams.length >= count) {
          clearTimeout(timer)
          this.#waiting.delete(check)
          resolve(this.datagrams)
        }
      }
      const timer = setTimeout(() => {
        this.#waiting.delete(check)
        reject(new Error(`DatagramInbox: ${this.datagrams.length} of ${count} datagrams after ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiting.add(check)
      check()
    })
  }
}

/**
 * A datagram {@link CompliancePeer}: `write` sends one datagram to `target`, `read` returns the bytes of the datagrams
 * received so far, concatenated (what the compliance suite compares).
 */
export function datagramPeer(client: BoundSocket, target: EndPoint): CompliancePeer {
  const inbox: Buffer[] = []
  let buffered = 0
  const waiting = new Set<() => void>()
  client.onMessage = (data) => {
    inbox.push(data)
    buffered += data.length
    for (const wake of [...waiting]) wake()
  }
  return {
    write(data) {
      client.send(data, target, () => {})
    },
    read(byteCount, timeoutMs = 2_000) {
      return new Promise<Buffer>((resolve, reject) => {
        const check = (): void => {
          if (buffered < byteCount) return
          clearTimeout(timer)
          waiting.delete(check)
          const all = Buffer.concat(inbox)
          inbox.length = 0
          const rest = all.subarray(byteCount)
          if (rest.length > 0) inbox.push(rest)
          buffered -= byteCount
          resolve(Buffer.from(all.subarray(0, byteCount)))
        }
        const timer = setTimeout(() => {
          waiting.delete(check)
          reject(new Error(`datagramPeer: ${buffered} of ${byteCount} bytes after ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.add(check)
        check()
      })
    },
    close() {
      void client.close()
    },
  }
}

/** A sender that records what it is asked to send and completes each send only when told to. */
export class ManualSender implements DatagramSender {
  readonly maxDatagramSize: number
  readonly sent: { data: Buffer; remote: EndPoint }[] = []
  readonly #callbacks: ((error: Error | null) => void)[] = []

  constructor(maxDatagramSize = 65_507) {
    this.maxDatagramSize = maxDatagramSize
  }

  /** Sends not completed yet. */
  get outstanding(): number {
    return this.#callbacks.length
  }

  send(data: Uint8Array, remote: EndPoint, callback: (error: Error | null) => void): void {
    this.sent.push({ data: Buffer.from(data), remote })
    this.#callbacks.push(callback)
  }

  /** Complete the oldest `count` sends (all by default), with `error` if given. */
  complete(count = this.#callbacks.length, error: Error | null = null): void {
    for (const callback of this.#callbacks.splice(0, count)) callback(error)
  }
}

export const loopback: EndPoint = Object.freeze({ address: '127.0.0.1', port: 40_000, family: 'IPv4' })
export const local: EndPoint = Object.freeze({ address: '127.0.0.1', port: 40_001, family: 'IPv4' })
export const sessionDefaults = { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 2_000 }
