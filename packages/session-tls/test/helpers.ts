import { once } from 'node:events'
import type net from 'node:net'
import tls from 'node:tls'
import { tcpSocketPair } from '@socketlite/testing'
import { onTestFinished } from 'vitest'
import { type TlsAcceptInit, TlsSocketSession } from '../src/index.js'

export const sessionDefaults = { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 2_000 }

function ignoreError(): void {}

/** Both ends of one loopback TLS connection: the server side as a (not started) session, the client's TLS socket. */
export interface TlsPair {
  readonly session: TlsSocketSession
  readonly client: tls.TLSSocket
  /** The client's TCP socket under `client`. */
  readonly rawClient: net.Socket
  /** Destroy both ends. */
  close(): Promise<void>
}

/**
 * Make a TCP pair on loopback, run the handshake on both ends and return the server session (not started).
 * Cleanup is registered with `onTestFinished` unless `register` is false (then call `close()`).
 */
export async function tlsPair(
  accept: Omit<TlsAcceptInit, 'sendHighWaterMark' | 'sendLowWaterMark' | 'closeTimeOut'> &
    Partial<Pick<TlsAcceptInit, 'sendHighWaterMark' | 'sendLowWaterMark' | 'closeTimeOut'>>,
  client: tls.ConnectionOptions,
  options: { host?: string; register?: boolean } = {},
): Promise<TlsPair> {
  const pair = await tcpSocketPair(options.host === undefined ? {} : { host: options.host })
  const tlsClient = tls.connect({ ...client, socket: pair.client })
  tlsClient.on('error', ignoreError)
  const close = async (): Promise<void> => {
    tlsClient.destroy()
    await pair.close()
  }
  if (options.register !== false) onTestFinished(close)
  const [session] = await Promise.all([
    TlsSocketSession.accept(pair.server, { ...sessionDefaults, ...accept }),
    once(tlsClient, 'secureConnect', { signal: AbortSignal.timeout(2_000) }),
  ])
  if (options.register !== false) {
    onTestFinished(async () => {
      await session.close(0)
    })
  }
  return { session, client: tlsClient, rawClient: pair.client, close }
}
