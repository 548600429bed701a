import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import { CloseReason, SocketError } from '@socketlite/socket-base'
import {
  connectTcp,
  listenTcp,
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  SessionRecorder,
  withTimeout,
} from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { secureServerSocket, TlsCertificateStore, TlsSocketSession } from '../src/index.js'
import { sessionDefaults, tlsPair } from './helpers.js'

let server: SelfSignedCertificate
let other: SelfSignedCertificate
let store: TlsCertificateStore
let mutualStore: TlsCertificateStore

beforeAll(async () => {
  ;[server, other] = await Promise.all([
    makeSelfSignedCertificate({ clientCertificate: true }),
    makeSelfSignedCertificate({ clientCertificate: true, commonName: 'other.test' }),
  ])
  store = new TlsCertificateStore({ certFile: server.certFile, keyFile: server.keyFile })
  mutualStore = new TlsCertificateStore({
    certFile: server.certFile,
    keyFile: server.keyFile,
    caFile: server.certFile,
    clientCertificateRequired: true,
  })
})

afterAll(async () => {
  await Promise.all([server.cleanup(), other.cleanup()])
})

/** An accepted TCP socket on the server side and the client's TCP socket, not yet TLS. */
async function rawPair(): Promise<{ accepted: net.Socket; client: net.Socket }> {
  const listener = await listenTcp(undefined, { allowHalfOpen: true })
  onTestFinished(() => listener.close())
  const client = await connectTcp(listener.port)
  onTestFinished(() => {
    client.destroy()
  })
  const accepted = await listener.nextConnection()
  return { accepted, client }
}

/** Resolves when `socket` closes (errors before it are expected here and ignored), at most 2 s. */
function closed(socket: net.Socket): Promise<unknown> {
  return withTimeout(new Promise((resolve) => socket.once('close', resolve)), 2_000, 'the socket to close')
}

function handshakeCode(error: unknown): string | undefined {
  return SocketError.isSocketError(error) ? error.code : undefined
}

describe('TlsSocketSession.accept', () => {
  test('completes the handshake and echoes over TLS', async () => {
    const { session, client } = await tlsPair(
      { secureContext: store.secureContext, handshakeTimeOut: 2_000 },
      { ca: server.cert, servername: 'localhost' },
    )
    session.start(new SessionRecorder({ echo: session }))
    expect(session.secure).toBe(true)
    expect(session.tls.protocol).toBe('TLSv1.3')
    expect(session.tls.cipher.name).not.toBe('')
    expect(session.tls.authorized).toBe(false)
    expect(session.remoteEndPoint.address).toBe('127.0.0.1')
    expect(session.remoteEndPoint.port).toBe(client.localPort)
    client.write('hello over tls')
    const [reply] = await once(client, 'data', { signal: AbortSignal.timeout(2_000) })
    expect(String(reply)).toBe('hello over tls')
    expect(client.getPeerX509Certificate()?.fingerprint256).toBe(store.fingerprint256)
  })

  test('delivers application bytes the client sent right after the handshake, before start', async () => {
    const { session, client } = await tlsPair(
      { secureContext: store.secureContext, handshakeTimeOut: 2_000 },
      { ca: server.cert, servername: 'localhost' },
    )
    client.write('early bird')
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect((await recorder.bytes(10)).toString()).toBe('early bird')
  })

  test('drops a client that never completes the handshake after handshakeTimeOut, closing its TCP connection', async () => {
    const { accepted, client } = await rawPair()
    const started = Date.now()
    const closed = once(client, 'close', { signal: AbortSignal.timeout(2_000) })
    const error = await TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: store.secureContext,
      handshakeTimeOut: 100,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    expect(accepted.destroyed).toBe(true)
    await closed // the client sees its connection go away: no open TCP connection is left behind
  })

  test('drops a client that stalls in the middle of the handshake', async () => {
    const { accepted, client } = await rawPair()
    // The first bytes of a TLS record header, then silence.
    client.write(Buffer.from([0x16, 0x03, 0x01]))
    const error = await TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: store.secureContext,
      handshakeTimeOut: 100,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
    await once(client, 'close', { signal: AbortSignal.timeout(2_000) })
  })

  test('drops a plain-text client on a TLS connection at once', async () => {
    const { accepted, client } = await rawPair()
    client.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
    const error = await TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: store.secureContext,
      handshakeTimeOut: 10_000,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
    expect((error as Error).cause).toBeInstanceOf(Error)
    await once(client, 'close', { signal: AbortSignal.timeout(2_000) })
  })

  test('fails when the client ends the connection before the handshake', async () => {
    const { accepted, client } = await rawPair()
    client.end()
    const error = await withTimeout(
      TlsSocketSession.accept(accepted, {
        ...sessionDefaults,
        secureContext: store.secureContext,
        handshakeTimeOut: 10_000,
      }).catch((reason: unknown) => reason),
      2_000,
      'the handshake to fail',
    )
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
  })

  test('fails when the client resets the connection during the handshake', async () => {
    const { accepted, client } = await rawPair()
    client.resetAndDestroy()
    const error = await withTimeout(
      TlsSocketSession.accept(accepted, {
        ...sessionDefaults,
        secureContext: store.secureContext,
        handshakeTimeOut: 10_000,
      }).catch((reason: unknown) => reason),
      2_000,
      'the handshake to fail',
    )
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
  })

  test('can be aborted', async () => {
    const { accepted, client } = await rawPair()
    const controller = new AbortController()
    const accepting = TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: store.secureContext,
      handshakeTimeOut: 10_000,
      signal: controller.signal,
    }).catch((reason: unknown) => reason)
    controller.abort(new Error('shutting down'))
    expect(handshakeCode(await accepting)).toBe('ERR_TLS_HANDSHAKE')
    await once(client, 'close', { signal: AbortSignal.timeout(2_000) })
    const aborted = await TlsSocketSession.accept(new net.Socket(), {
      ...sessionDefaults,
      secureContext: store.secureContext,
      handshakeTimeOut: 10_000,
      signal: controller.signal,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(aborted)).toBe('ERR_TLS_HANDSHAKE')
  })

  test('refuses invalid handshake options synchronously', async () => {
    const { accepted } = await rawPair()
    expect(() => secureServerSocket(accepted, { secureContext: store.secureContext, handshakeTimeOut: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    expect(() => secureServerSocket(accepted, { secureContext: undefined as never, handshakeTimeOut: 1_000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  test('refuses clients below minVersion', async () => {
    const strict = new TlsCertificateStore({
      certFile: server.certFile,
      keyFile: server.keyFile,
      minVersion: 'TLSv1.3',
    })
    const { accepted, client } = await rawPair()
    const tlsClient = tls.connect({ socket: client, ca: server.cert, servername: 'localhost', maxVersion: 'TLSv1.2' })
    tlsClient.on('error', () => {})
    onTestFinished(() => {
      tlsClient.destroy()
    })
    const error = await TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: strict.secureContext,
      handshakeTimeOut: 2_000,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
  })

  test('accepts TLS 1.2 clients by default', async () => {
    const { session } = await tlsPair(
      { secureContext: store.secureContext, handshakeTimeOut: 2_000 },
      { ca: server.cert, servername: 'localhost', maxVersion: 'TLSv1.2' },
    )
    expect(session.tls.protocol).toBe('TLSv1.2')
  })
})

describe('client certificates', () => {
  test('accepts a client certificate signed by the CA and exposes it', async () => {
    const { session, client } = await tlsPair(
      { secureContext: mutualStore.secureContext, handshakeTimeOut: 2_000, requestCert: true },
      { ca: server.cert, servername: 'localhost', cert: server.clientCert as string, key: server.clientKey as string },
    )
    expect(session.tls.authorized).toBe(true)
    const subject = (session.tls.peerCertificate as { subject?: { CN?: string } }).subject
    expect(subject?.CN).toBe('socketlite test client')
    expect(session.peerX509Certificate?.fingerprint256).toBe(
      new X509Certificate(server.clientCert as string).fingerprint256,
    )
    session.start(new SessionRecorder({ echo: session }))
    client.write('mutual')
    const [reply] = await once(client, 'data', { signal: AbortSignal.timeout(2_000) })
    expect(String(reply)).toBe('mutual')
  })

  test('refuses a client without a certificate', async () => {
    const { accepted, client } = await rawPair()
    const tlsClient = tls.connect({ socket: client, ca: server.cert, servername: 'localhost' })
    tlsClient.on('error', () => {})
    onTestFinished(() => {
      tlsClient.destroy()
    })
    const error = await TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: mutualStore.secureContext,
      handshakeTimeOut: 2_000,
      requestCert: true,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
    await closed(tlsClient)
  })

  test('refuses a client whose certificate another CA signed', async () => {
    const { accepted, client } = await rawPair()
    const tlsClient = tls.connect({
      socket: client,
      ca: server.cert,
      servername: 'localhost',
      cert: other.clientCert as string,
      key: other.clientKey as string,
    })
    tlsClient.on('error', () => {})
    onTestFinished(() => {
      tlsClient.destroy()
    })
    const error = await TlsSocketSession.accept(accepted, {
      ...sessionDefaults,
      secureContext: mutualStore.secureContext,
      handshakeTimeOut: 2_000,
      requestCert: true,
    }).catch((reason: unknown) => reason)
    expect(handshakeCode(error)).toBe('ERR_TLS_HANDSHAKE')
    expect(accepted.destroyed).toBe(true)
    await closed(tlsClient)
  })

  test('does not ask for a certificate unless requestCert is set', async () => {
    const { session } = await tlsPair(
      { secureContext: mutualStore.secureContext, handshakeTimeOut: 2_000 },
      { ca: server.cert, servername: 'localhost' },
    )
    expect(session.tls.authorized).toBe(false)
    expect(session.peerX509Certificate).toBeUndefined()
  })
})

describe('TlsSocketSession over a client TLS socket', () => {
  test('wraps a socket from tls.connect (outbound sessions)', async () => {
    const tlsServer = tls.createServer({ cert: server.cert, key: server.key }, (socket) => socket.pipe(socket))
    onTestFinished(() => {
      tlsServer.close()
    })
    tlsServer.listen(0, '127.0.0.1')
    await once(tlsServer, 'listening', { signal: AbortSignal.timeout(2_000) })
    const { port } = tlsServer.address() as net.AddressInfo
    const socket = tls.connect({ host: '127.0.0.1', port, ca: server.cert, servername: 'localhost' })
    await once(socket, 'secureConnect', { signal: AbortSignal.timeout(2_000) })
    const session = new TlsSocketSession(socket, sessionDefaults)
    expect(session.tls.authorized).toBe(true)
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(session.trySend(Buffer.from('round trip'))).toBe(true)
    expect((await recorder.bytes(10)).toString()).toBe('round trip')
    await withTimeout(session.close(CloseReason.ServerClosing), 2_000, 'close()')
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
  })
})
