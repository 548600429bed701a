import dgram from 'node:dgram'
import { once } from 'node:events'
import { CloseReason, type StringRequestInfo } from '@socketlite/app-server'
import { makeSelfSignedCertificate, type SelfSignedCertificate } from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import {
  type BinaryRequestInfo,
  LengthFieldReceiveFilter,
  SocketClient,
  SocketError,
  TerminatorReceiveFilter,
} from '../src/index.js'
import { lineClient, next, record, rejection, startEchoServer } from './helpers.js'

const codeOf = (error: unknown) => (SocketError.isSocketError(error) ? error.code : String(error))

let certificate: SelfSignedCertificate
let other: SelfSignedCertificate

beforeAll(async () => {
  certificate = await makeSelfSignedCertificate({ clientCertificate: true })
  other = await makeSelfSignedCertificate()
})

afterAll(async () => {
  await certificate.cleanup()
  await other.cleanup()
})

function tlsServer(extra: Record<string, unknown> = {}) {
  return startEchoServer({
    config: {
      security: 'tls',
      certificate: { certFile: certificate.certFile, keyFile: certificate.keyFile, ...extra },
    },
  })
}

describe('TLS', () => {
  test('verifies the server against ca (or caFile) and talks through TLS', async () => {
    const { port } = await tlsServer()
    for (const tls of [{ ca: certificate.cert }, { caFile: certificate.certFile }]) {
      const client = lineClient(port, { tls })
      await client.connect()
      expect(client.secure).toBe(true)
      expect((await client.request('ECHO secret\r\n')).key).toBe('secret')
      await client.close()
    }
  })

  test('verifies the host name: 127.0.0.1 by the address in the certificate, or the servername given', async () => {
    const { port } = await tlsServer()
    const byServername = lineClient(port, { tls: { ca: certificate.cert, servername: 'localhost' } })
    await byServername.connect()
    expect((await byServername.request('ECHO named\r\n')).key).toBe('named')
    const wrongName = lineClient(port, { tls: { ca: certificate.cert, servername: 'example.org' } })
    const error = await rejection(wrongName.connect())
    expect(codeOf(error)).toBe('ERR_CONNECT_FAILED')
    expect(codeOf((error as Error).cause)).toBe('ERR_TLS_HANDSHAKE')
  })

  test('refuses a server whose certificate does not verify (system CAs, another CA): ConnectError, cause ERR_TLS_HANDSHAKE', async () => {
    const { port } = await tlsServer()
    for (const tls of [true, { ca: other.cert }] as const) {
      const client = lineClient(port, { tls })
      const error = await rejection(client.connect())
      expect(codeOf(error)).toBe('ERR_CONNECT_FAILED')
      expect(codeOf((error as Error).cause)).toBe('ERR_TLS_HANDSHAKE')
      expect(client.state).toBe('closed')
    }
  })

  test('insecure accepts any certificate', async () => {
    const { port } = await tlsServer()
    const client = lineClient(port, { tls: { insecure: true } })
    await client.connect()
    expect((await client.request('ECHO unverified\r\n')).key).toBe('unverified')
  })

  test('presents a client certificate to a server that requires one', async () => {
    const { port } = await tlsServer({ caFile: certificate.certFile, clientCertificateRequired: true })
    const client = lineClient(port, {
      tls: { ca: certificate.cert, cert: certificate.clientCert as string, key: certificate.clientKey as string },
    })
    await client.connect()
    expect((await client.request('ECHO mutual\r\n')).key).toBe('mutual')
  })

  test('reconnects over TLS when the server comes back on the same port', async () => {
    const first = await tlsServer()
    const client = lineClient(first.port, {
      tls: { ca: certificate.cert },
      reconnect: { initialDelay: 10, maxDelay: 50 },
    })
    await client.connect()
    const reconnecting = next(client, 'reconnecting')
    await first.server.stop()
    await reconnecting
    const connected = next(client, 'connected')
    await startEchoServer({
      config: {
        port: first.port,
        security: 'tls',
        certificate: { certFile: certificate.certFile, keyFile: certificate.keyFile },
      },
    })
    await connected
    expect((await client.request('ECHO again\r\n')).key).toBe('again')
  })
})

describe('UDP', () => {
  test('each datagram is parsed whole: several replies in one datagram, one send per datagram', async () => {
    const { port, received } = await startEchoServer({ config: { mode: 'udp' } })
    const client = lineClient(port, { mode: 'udp' })
    await client.connect()
    expect(client.mode).toBe('udp')
    expect(client.remoteEndPoint).toEqual({ address: '127.0.0.1', port, family: 'IPv4' })
    const replies = record(client, 'message')
    await client.send('ECHO a\r\nECHO b\r\n')
    while (replies.length < 2) await next(client, 'message')
    expect((await client.request('ECHO c\r\n')).key).toBe('c')
    expect(replies.map(([reply]) => reply.key)).toEqual(['a', 'b', 'c'])
    expect(received).toEqual(['ECHO a', 'ECHO b', 'ECHO c'])
  })

  test('a binary filter over UDP; a datagram that ends inside a frame is a ProtocolError that closes', async () => {
    const server = dgram.createSocket('udp4')
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    server.bind(0, '127.0.0.1')
    await once(server, 'listening')
    const frame = (text: string) => {
      const body = Buffer.from(text)
      const header = Buffer.alloc(2)
      header.writeUInt16BE(body.length)
      return Buffer.concat([header, body])
    }
    server.on('message', (datagram, remote) => {
      if (datagram.toString() === 'two')
        server.send(Buffer.concat([frame('x'), frame('yz')]), remote.port, remote.address)
      else server.send(frame('whole').subarray(0, 4), remote.port, remote.address) // cut inside the frame
    })
    const client = new SocketClient<BinaryRequestInfo>({
      host: '127.0.0.1',
      port: server.address().port,
      mode: 'udp',
      receiveFilter: new LengthFieldReceiveFilter({ lengthFieldLength: 2 }),
    })
    onTestFinished(() => client.close())
    await client.connect()
    const replies = record(client, 'message')
    client.trySend('two')
    while (replies.length < 2) await next(client, 'message')
    expect(replies.map(([reply]) => reply.body.toString())).toEqual(['x', 'yz'])
    const disconnected = next(client, 'disconnected')
    client.trySend('cut')
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ProtocolError)
    expect(codeOf(info.error)).toBe('ERR_PROTOCOL')
  })

  test('a payload larger than one datagram: trySend false, send rejects with DatagramTooLargeError', async () => {
    const { port } = await startEchoServer({ config: { mode: 'udp' } })
    const client = lineClient(port, { mode: 'udp', sendHighWaterMark: 1 << 20 })
    await client.connect()
    const large = Buffer.alloc(70_000)
    expect(client.trySend(large)).toBe(false)
    expect(codeOf(await rejection(client.send(large)))).toBe('ERR_DATAGRAM_TOO_LARGE')
    expect((await client.request('ECHO fine\r\n')).key).toBe('fine')
  })

  test('nobody listening: the ICMP refusal drops the connection (SocketError); reconnect then gives up', async () => {
    const probe = dgram.createSocket('udp4')
    probe.bind(0, '127.0.0.1')
    await once(probe, 'listening')
    const port = probe.address().port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const client = lineClient(port, { mode: 'udp', reconnect: { initialDelay: 5, maxDelay: 20, maxAttempts: 3 } })
    const disconnects = record(client, 'disconnected')
    const gaveUp = next(client, 'reconnectFailed')
    client.on('connected', () => client.trySend('ECHO anyone?\r\n'))
    await client.connect() // no handshake over UDP: connect() only resolves the address
    await gaveUp
    expect(disconnects.map(([reason]) => reason)).toEqual(Array(4).fill(CloseReason.SocketError))
    expect((disconnects[0]?.[1].error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED')
    expect(client.state).toBe('closed')
  })

  test('tls in udp mode is refused at construction', () => {
    expect(
      () =>
        new SocketClient<StringRequestInfo>({
          host: '127.0.0.1',
          port: 1,
          mode: 'udp',
          tls: true,
          receiveFilter: new TerminatorReceiveFilter({ terminator: '\r\n' }),
        }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})
