import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import type net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import {
  connectTcp,
  deferred,
  makeSelfSignedCertificate,
  readUntilEnd,
  type SelfSignedCertificate,
  withTimeout,
} from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import {
  AppServer,
  type AppSession,
  CloseReason,
  type ConfigError,
  type ServerConfig,
  SocketError,
  silentLogFactory,
} from '../src/index.js'
import { LineReader, next, startServer, until } from './helpers.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

let server: SelfSignedCertificate
let other: SelfSignedCertificate
let dir: string

beforeAll(async () => {
  ;[server, other] = await Promise.all([
    makeSelfSignedCertificate({ clientCertificate: true }),
    makeSelfSignedCertificate({ clientCertificate: true, commonName: 'other.localhost' }),
  ])
  dir = await mkdtemp(join(tmpdir(), 'socketlite-app-tls-'))
})

afterAll(async () => {
  await Promise.all([server.cleanup(), other.cleanup(), rm(dir, { recursive: true, force: true })])
})

/** An echo server (`ECHO x` → `x`) with the server certificate; `config` overrides. */
function tlsEcho(config: Partial<ServerConfig> = {}) {
  return startServer(
    {
      config: {
        security: 'tls',
        certificate: { certFile: server.certFile, keyFile: server.keyFile },
        ...config,
      },
    },
    (app) => {
      app.on('newRequestReceived', (session, request) => {
        if (request.key === 'ECHO') session.trySend(`${request.body}\r\n`)
      })
    },
  )
}

/** A TLS client connected to `port`, destroyed when the test finishes. */
async function tlsClient(
  port: number,
  options: tls.ConnectionOptions = {},
  host = '127.0.0.1',
): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host, port, ca: server.cert, servername: 'localhost', ...options })
  onTestFinished(() => {
    socket.destroy()
  })
  await once(socket, 'secureConnect', { signal: AbortSignal.timeout(2_000) })
  return socket
}

/** A plain TCP client, destroyed when the test finishes. */
async function tcpClient(port: number): Promise<net.Socket> {
  const socket = await connectTcp(port)
  onTestFinished(() => {
    socket.destroy()
  })
  return socket
}

function closed(socket: net.Socket): Promise<unknown> {
  return withTimeout(new Promise((resolve) => socket.once('close', resolve)), 2_000, 'the socket to close')
}

function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_CONFIG')
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('TLS listeners', () => {
  test('handshake, then newSessionConnected, echo and TLS details', async () => {
    const { server: app, port } = await tlsEcho()
    expect(app.endpoints[0]).toMatchObject({ security: 'tls', mode: 'tcp', family: 'IPv4' })
    const connected = next<[AppSession]>(app, 'newSessionConnected')
    const client = await tlsClient(port)
    const [session] = await connected
    expect(session.secure).toBe(true)
    expect(session.listener).toBe(app.endpoints[0])
    expect(session.outbound).toBe(false)
    expect(session.tls?.protocol).toBe('TLSv1.3')
    expect(session.tls?.authorized).toBe(false)
    expect(session.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    const lines = new LineReader(client)
    client.write('ECHO over tls\r\n')
    expect(await lines.next()).toBe('over tls')
    expect(client.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(server.cert).fingerprint256)
    const sessionClosed = next<[AppSession, CloseReason]>(app, 'sessionClosed')
    client.end()
    expect((await sessionClosed)[1]).toBe(CloseReason.ClientClosing)
  })

  test("the FIN rule holds over TLS: an asynchronous handler's reply to what came before the client's end arrives", async () => {
    const { server: app, port } = await startServer(
      { config: { security: 'tls', certificate: { certFile: server.certFile, keyFile: server.keyFile } } },
      (app) => {
        app.on('newRequestReceived', async (session, request) => {
          await until(() => !session.connected, "the peer's end")
          await session.send(`${request.body}\r\n`)
        })
      },
    )
    const sessionClosed = next<[AppSession, CloseReason]>(app, 'sessionClosed')
    const client = await tlsClient(port)
    const replies = readUntilEnd(client)
    client.end('ECHO late\r\n')
    expect((await replies).toString()).toBe('late\r\n')
    expect((await sessionClosed)[1]).toBe(CloseReason.ClientClosing)
  })

  test('works over IPv6', async () => {
    const { port } = await tlsEcho({ ip: '::1' })
    const client = await tlsClient(port, {}, '::1')
    const lines = new LineReader(client)
    client.write('ECHO six\r\n')
    expect(await lines.next()).toBe('six')
  })

  test('drops a client that never completes its handshake after handshakeTimeOut, with no session events', async () => {
    const { server: app, port } = await tlsEcho({ handshakeTimeOut: 100 })
    let events = 0
    app.on('newSessionConnected', () => events++)
    app.on('sessionClosed', () => events++)
    const client = await tcpClient(port)
    await closed(client) // the server destroyed the TCP connection itself
    expect(events).toBe(0)
    expect(app.getStats().rejected.handshake).toBe(1)
    expect(app.getStats().accepted).toBe(0)
    expect(app.sessionCount).toBe(0)
  })

  test('maxPendingHandshakes: silent connections hold no session slot; over the limit one is closed at once, counted', async () => {
    const { server: app, port } = await tlsEcho({
      handshakeTimeOut: 60_000,
      maxPendingHandshakes: 3,
      maxConnectionNumber: 1,
    })
    const silent = await Promise.all([tcpClient(port), tcpClient(port), tcpClient(port)])
    await until(() => app.getStats().pendingHandshakes === 3, 'three handshakes in progress')
    expect(app.sessionCount).toBe(0)
    // The fourth silent connection is over maxPendingHandshakes: closed at once, no handshake deadline waited for.
    const before = performance.now()
    await closed(await tcpClient(port))
    expect(performance.now() - before).toBeLessThan(1_000)
    expect(app.getStats().rejected).toMatchObject({ maxPendingHandshakes: 1, total: 1 })
    // Once one silent connection is gone, a real TLS client gets in and takes the one session slot.
    const gone = silent[0] as net.Socket
    gone.destroy()
    await until(() => app.getStats().pendingHandshakes === 2, 'a handshake slot free again')
    const client = await tlsClient(port)
    const lines = new LineReader(client)
    client.write('ECHO in\r\n')
    expect(await lines.next()).toBe('in')
    expect(app.getStats()).toMatchObject({ sessions: 1, pendingHandshakes: 2 })
    // The session slots are full now: a second real client finishes its handshake and is then refused.
    const second = tls.connect({ host: '127.0.0.1', port, ca: server.cert, servername: 'localhost' })
    onTestFinished(() => {
      second.destroy()
    })
    second.on('error', () => {})
    await closed(second)
    expect(app.getStats().rejected).toMatchObject({ maxConnectionNumber: 1 })
    expect(app.sessionCount).toBe(1)
  })

  test('maxPendingHandshakes: handshakes count toward maxConnectionsPerIp', async () => {
    const { server: app, port } = await tlsEcho({ handshakeTimeOut: 60_000, maxConnectionsPerIp: 2 })
    await Promise.all([tcpClient(port), tcpClient(port)])
    await until(() => app.getStats().pendingHandshakes === 2, 'two handshakes in progress')
    await closed(await tcpClient(port))
    expect(app.getStats().rejected).toMatchObject({ maxConnectionsPerIp: 1, maxPendingHandshakes: 0 })
  })

  test('drops a plain-text client on a TLS port at once', async () => {
    const { server: app, port } = await tlsEcho()
    let events = 0
    app.on('newSessionConnected', () => events++)
    const client = await tcpClient(port)
    client.write('ECHO plain\r\n')
    await closed(client)
    expect(events).toBe(0)
    expect(app.getStats().rejected.handshake).toBe(1)
  })

  test('stop() aborts handshakes in progress', async () => {
    const arrived = deferred()
    const { server: app, port } = await startServer({
      config: {
        security: 'tls',
        certificate: { certFile: server.certFile, keyFile: server.keyFile },
        handshakeTimeOut: 60_000,
      },
      connectionFilters: [
        {
          name: 'spy',
          allowConnect: () => {
            arrived.resolve()
            return true
          },
        },
      ],
    })
    const client = await tcpClient(port)
    const done = closed(client)
    await withTimeout(arrived.promise, 2_000, 'the connection to reach the server')
    // The handshake starts right after the connection filters; the client never sends a ClientHello.
    await withTimeout(app.stop(), 2_000, 'stop() with a handshake in progress')
    await done
    expect(app.getStats().rejected).toMatchObject({ handshake: 0, notRunning: 1 })
  })

  test('a stopped TLS server can be started again', async () => {
    const { server: app } = await tlsEcho()
    await app.stop()
    const [again] = await app.start()
    const client = await tlsClient(again?.port as number)
    const lines = new LineReader(client)
    client.write('ECHO again\r\n')
    expect(await lines.next()).toBe('again')
  })

  test('mixed plain and TLS listeners share one registry and the same handlers', async () => {
    const { server: app } = await startServer(
      {
        config: {
          listeners: [
            { ip: '127.0.0.1', port: 0 },
            { ip: '127.0.0.1', port: 0, security: 'tls' },
          ],
          certificate: { certFile: server.certFile, keyFile: server.keyFile },
        },
      },
      (created) => {
        created.on('newRequestReceived', (session, request) => {
          session.trySend(`${session.secure ? 'tls' : 'plain'} ${request.body}\r\n`)
        })
      },
    )
    const [plainInfo, tlsInfo] = app.endpoints
    expect(plainInfo?.security).toBe('none')
    expect(tlsInfo?.security).toBe('tls')
    const plain = await tcpClient(plainInfo?.port as number)
    const secure = await tlsClient(tlsInfo?.port as number)
    const plainLines = new LineReader(plain)
    const secureLines = new LineReader(secure)
    plain.write('ECHO a\r\n')
    secure.write('ECHO b\r\n')
    expect(await plainLines.next()).toBe('plain a')
    expect(await secureLines.next()).toBe('tls b')
    expect(app.sessionCount).toBe(2)
    const sessions = app.getAllSessions()
    expect(sessions.map((session) => session.secure).sort()).toEqual([false, true])
    for (const session of sessions) expect(app.getSessionById(session.sessionId.toUpperCase())).toBe(session)
    expect(app.broadcast('all\r\n')).toBe(2)
    expect(await plainLines.next()).toBe('all')
    expect(await secureLines.next()).toBe('all')
  })
})

describe('client certificates', () => {
  const mutual = () =>
    tlsEcho({
      certificate: {
        certFile: server.certFile,
        keyFile: server.keyFile,
        caFile: server.certFile,
        clientCertificateRequired: true,
      },
    })

  test('accepts a client whose certificate the CA signed, and exposes it', async () => {
    const { server: app, port } = await mutual()
    const connected = next<[AppSession]>(app, 'newSessionConnected')
    await tlsClient(port, { cert: server.clientCert as string, key: server.clientKey as string })
    const [session] = await connected
    expect(session.tls?.authorized).toBe(true)
    expect((session.tls?.peerCertificate as { subject?: { CN?: string } } | undefined)?.subject?.CN).toBe(
      'socketlite test client',
    )
  })

  test('refuses a client without a certificate and one signed by another CA', async () => {
    const { server: app, port } = await mutual()
    let events = 0
    app.on('newSessionConnected', () => events++)
    for (const options of [{}, { cert: other.clientCert as string, key: other.clientKey as string }]) {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: server.cert, servername: 'localhost', ...options })
      socket.on('error', () => {})
      onTestFinished(() => {
        socket.destroy()
      })
      await closed(socket)
    }
    expect(events).toBe(0)
    expect(app.getStats().rejected.handshake).toBe(2)
  })
})

describe('certificates', () => {
  test('reloadCertificate: new connections see the new certificate, open ones keep working', async () => {
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    await copyFile(server.certFile, certFile)
    await copyFile(server.keyFile, keyFile)
    const { server: app, port } = await tlsEcho({ certificate: { certFile, keyFile } })
    const ca = [server.cert, other.cert]
    const before = await tlsClient(port, { ca })
    const beforeLines = new LineReader(before)
    before.write('ECHO one\r\n')
    expect(await beforeLines.next()).toBe('one')
    expect(before.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(server.cert).fingerprint256)

    await copyFile(other.certFile, certFile)
    await copyFile(other.keyFile, keyFile)
    await app.reloadCertificate()

    const after = await tlsClient(port, { ca, servername: 'other.localhost' })
    expect(after.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(other.cert).fingerprint256)
    before.write('ECHO still open\r\n')
    expect(await beforeLines.next()).toBe('still open')
    expect(app.sessionCount).toBe(2)
  })

  test('a failed reload keeps the certificate and reports ConfigError', async () => {
    const certFile = join(dir, 'failing-cert.pem')
    await copyFile(server.certFile, certFile)
    const { server: app, port } = await tlsEcho({ certificate: { certFile, keyFile: server.keyFile } })
    await rm(certFile)
    const error = await app.reloadCertificate().catch((reason: unknown) => reason)
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['certificate.certFile'])
    const client = await tlsClient(port)
    expect(client.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(server.cert).fingerprint256)
  })

  test('reloadCertificate without a TLS listener is a ConfigError', async () => {
    const { server: app } = await startServer()
    const error = await app.reloadCertificate().catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_CONFIG')
  })

  test('serves a PFX certificate', async () => {
    const { port } = await tlsEcho({
      certificate: { pfxFile: join(fixtures, 'server.pfx'), passphrase: 'socketlite-test' },
    })
    const client = await tlsClient(port, { ca: await readFile(join(fixtures, 'server-cert.pem'), 'utf8') })
    const lines = new LineReader(client)
    client.write('ECHO pfx\r\n')
    expect(await lines.next()).toBe('pfx')
  })

  test('a PFX file with a wrong passphrase is a ConfigError at construction', () => {
    const error = configError(
      () =>
        new AppServer({
          config: {
            port: 0,
            security: 'tls',
            certificate: { pfxFile: join(fixtures, 'server.pfx'), passphrase: 'wrong' },
          },
          logFactory: silentLogFactory,
        }),
    )
    expect(error.issues.map((issue) => issue.path)).toEqual(['certificate.passphrase'])
  })

  test('missing certificate files are a ConfigError at construction, naming each file', () => {
    const error = configError(
      () =>
        new AppServer({
          config: {
            listeners: [
              { ip: '127.0.0.1', port: 0 },
              { ip: '127.0.0.1', port: 0, security: 'tls' },
            ],
            certificate: { certFile: join(dir, 'missing-cert.pem'), keyFile: join(dir, 'missing-key.pem') },
          },
          logFactory: silentLogFactory,
        }),
    )
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['certificate.certFile', 'certificate.keyFile'])
  })

  test('a certificate is not loaded when no listener uses TLS', () => {
    const app = new AppServer({
      config: { port: 0, certificate: { certFile: join(dir, 'missing-cert.pem'), keyFile: join(dir, 'missing.pem') } },
      logFactory: silentLogFactory,
    })
    expect(app.config.certificate).toBeDefined()
  })
})

describe('activeConnect over TLS', () => {
  test('connects out as the TLS client and makes an ordinary session', async () => {
    const { port } = await tlsEcho()
    const { server: app } = await startServer({}, (created) => {
      created.on('newRequestReceived', (session, request) => {
        session.items.set('last', request.body)
      })
    })
    const session = await app.activeConnect({
      host: '127.0.0.1',
      port,
      tls: { ca: server.cert, servername: 'localhost' },
    })
    expect(session.secure).toBe(true)
    expect(session.tls?.authorized).toBe(true)
    const request = next<[AppSession, { body: string }]>(app, 'newRequestReceived')
    expect(session.trySend('ECHO hello back\r\n')).toBe(true)
    const [, received] = await request
    expect(received.body).toBe('back')
  })

  test('a certificate the client does not trust fails with ConnectError', async () => {
    const { port } = await tlsEcho()
    const { server: app } = await startServer()
    const error = await app.activeConnect({ host: '127.0.0.1', port, tls: true }).catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_CONNECT_FAILED')
    expect(((error as Error).cause as SocketError).code).toBe('ERR_TLS_HANDSHAKE')
    expect(app.sessionCount).toBe(0)
  })
})
