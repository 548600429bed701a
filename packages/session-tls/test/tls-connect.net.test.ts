import { once } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason, SocketError } from '@socketlite/socket-base'
import {
  listenTcp,
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  SessionRecorder,
  sessionCompliance,
  streamPeer,
  withTimeout,
} from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { secureClientSocket, secureServerSocket, TlsCertificateStore, TlsSocketSession } from '../src/index.js'
import { sessionDefaults } from './helpers.js'

let certificate: SelfSignedCertificate
let store: TlsCertificateStore

beforeAll(async () => {
  certificate = await makeSelfSignedCertificate()
  store = new TlsCertificateStore({ certFile: certificate.certFile, keyFile: certificate.keyFile })
})

afterAll(async () => {
  await certificate.cleanup()
})

/** A TLS echo server on loopback (port 0); closed after the test. */
async function tlsEchoServer(): Promise<number> {
  const server = tls.createServer({ cert: certificate.cert, key: certificate.key }, (socket) => {
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening', { signal: AbortSignal.timeout(2_000) })
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as net.AddressInfo).port
}

function cleanupSession(session: TlsSocketSession): void {
  onTestFinished(() => withTimeout(session.close(CloseReason.ServerClosing), 5_000, 'cleanup close'))
}

describe('TlsSocketSession.connect', () => {
  test('connects, verifies the server against ca, and makes a session (not started) with the TCP send path', async () => {
    const port = await tlsEchoServer()
    const session = await TlsSocketSession.connect({
      host: '127.0.0.1',
      port,
      ca: certificate.cert,
      servername: 'localhost',
      ...sessionDefaults,
      sendPool: new SmartPool(),
    })
    cleanupSession(session)
    expect(session.secure).toBe(true)
    expect(session.tls.authorized).toBe(true)
    expect(session.tls.protocol).toMatch(/^TLSv1\.[23]$/)
    expect(session.remoteEndPoint).toEqual({ address: '127.0.0.1', port, family: 'IPv4' })
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(session.trySendCopy('through TLS and back')).toBe(true)
    expect((await recorder.bytes(20)).toString()).toBe('through TLS and back')
  })

  test('passes sendStallTimeOut on: a server that never reads closes the session with TimeOut', async () => {
    const accepted: tls.TLSSocket[] = []
    const server = tls.createServer({ cert: certificate.cert, key: certificate.key }, (socket) => {
      accepted.push(socket)
      socket.on('error', () => {})
      socket.pause() // never reads (so it would not see the client's end either: destroyed in cleanup)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening', { signal: AbortSignal.timeout(2_000) })
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    onTestFinished(() => {
      for (const socket of accepted) socket.destroy()
    })
    const port = (server.address() as net.AddressInfo).port
    const session = await TlsSocketSession.connect({
      host: '127.0.0.1',
      port,
      ca: certificate.cert,
      servername: 'localhost',
      ...sessionDefaults,
      sendHighWaterMark: 1_048_576,
      sendLowWaterMark: 524_288,
      sendStallTimeOut: 200,
    })
    cleanupSession(session)
    const chunk = Buffer.alloc(65_536, 1)
    const recorder = new SessionRecorder()
    session.start({
      onData: (data) => recorder.onData(data),
      onWritabilityChanged: (writable) => {
        while (writable && session.trySend(Buffer.from(chunk))) {}
      },
      onClosed: (reason) => recorder.onClosed(reason),
    })
    while (session.trySend(Buffer.from(chunk))) {}
    expect(await recorder.closed(10_000)).toBe(CloseReason.TimeOut)
    expect(session.sendStalled).toBe(true)
  })

  test('takes the server name from a host name (verified against it)', async () => {
    const port = await tlsEchoServer()
    const session = await TlsSocketSession.connect({
      host: 'localhost',
      family: 4,
      port,
      ca: certificate.cert,
      ...sessionDefaults,
    })
    cleanupSession(session)
    expect(session.tls.authorized).toBe(true)
    expect(session.socket.servername).toBe('localhost')
  })

  test('a server certificate that does not verify rejects with TlsHandshakeError, the TLS error as cause', async () => {
    const port = await tlsEchoServer()
    const error = await TlsSocketSession.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ...sessionDefaults,
    }).catch((caught: unknown) => caught)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_TLS_HANDSHAKE')
    expect((error as Error).cause).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
  })

  test('a refused TCP connection rejects with ConnectError (ERR_CONNECT_FAILED)', async () => {
    const probe = await listenTcp()
    const port = probe.port
    await probe.close()
    await expect(TlsSocketSession.connect({ host: '127.0.0.1', port, ...sessionDefaults })).rejects.toMatchObject({
      code: 'ERR_CONNECT_FAILED',
      cause: { code: 'ECONNREFUSED' },
    })
  })

  test('a server that never answers the handshake is dropped after handshakeTimeOut', async () => {
    const silent = await listenTcp()
    onTestFinished(() => silent.close())
    const started = Date.now()
    const error = await TlsSocketSession.connect({
      host: '127.0.0.1',
      port: silent.port,
      handshakeTimeOut: 100,
      ...sessionDefaults,
    }).catch((caught: unknown) => caught)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_TLS_HANDSHAKE')
    expect((error as Error).message).toMatch(/within 100 ms/)
    expect(Date.now() - started).toBeLessThan(2_000)
    const accepted = await silent.nextConnection()
    accepted.resume() // read (and drop) the ClientHello, so the client's end is seen
    if (!accepted.closed) await withTimeout(once(accepted, 'close'), 2_000, 'the dropped connection to close')
  })

  test('bad arguments throw InvalidArgumentError at once', () => {
    expect(() => TlsSocketSession.connect({ host: '', port: 1, ...sessionDefaults })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    expect(() =>
      TlsSocketSession.connect({ host: '127.0.0.1', port: 1, handshakeTimeOut: 0, ...sessionDefaults }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})

describe('secureClientSocket', () => {
  test('an abort during the handshake rejects with TlsHandshakeError and destroys the connection', async () => {
    const silent = await listenTcp(undefined, { allowHalfOpen: true })
    onTestFinished(() => silent.close())
    const socket = net.connect(silent.port, '127.0.0.1')
    await once(socket, 'connect', { signal: AbortSignal.timeout(2_000) })
    const controller = new AbortController()
    const reason = new Error('no longer needed')
    const handshake = secureClientSocket(socket, { handshakeTimeOut: 5_000, signal: controller.signal })
    controller.abort(reason)
    await expect(handshake).rejects.toMatchObject({ code: 'ERR_TLS_HANDSHAKE', cause: reason })
    expect(socket.destroyed).toBe(true)
  })

  test('a bad handshakeTimeOut throws InvalidArgumentError at once', () => {
    expect(() => secureClientSocket(new net.Socket(), { handshakeTimeOut: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })
})

// The session made by connect() keeps the whole session contract too (the peer is the accepting server side).
sessionCompliance({
  name: 'TlsSocketSession connected out',
  closeReasons: CloseReason,
  stream: true,
  async setup(init) {
    // An ordinary peer: it ends its side when the session ends its own (no half-open).
    const listener = await listenTcp()
    const connecting = TlsSocketSession.connect({
      host: '127.0.0.1',
      port: listener.port,
      ca: certificate.cert,
      servername: 'localhost',
      handshakeTimeOut: 2_000,
      ...init,
    })
    const raw = await listener.nextConnection()
    const [accepted, session] = await Promise.all([
      secureServerSocket(raw, { secureContext: store.secureContext, handshakeTimeOut: 2_000 }),
      connecting,
    ])
    return { session, peer: streamPeer(accepted, { rawSocket: raw }), cleanup: () => listener.close() }
  },
})
