import { readFile, stat } from 'node:fs/promises'
import tls from 'node:tls'
import { expect, onTestFinished, test } from 'vitest'
import { makeSelfSignedCertificate, readBytes, waitFor } from '../src/index.js'

test('makes a certificate a TLS client on loopback accepts, and cleans up its files', async () => {
  const certificate = await makeSelfSignedCertificate({ clientCertificate: true })
  onTestFinished(() => certificate.cleanup())
  expect(await readFile(certificate.certFile, 'utf8')).toBe(certificate.cert)
  expect(await readFile(certificate.keyFile, 'utf8')).toBe(certificate.key)
  expect(certificate.clientCert).toMatch(/BEGIN CERTIFICATE/)

  const server = tls.createServer(
    { cert: certificate.cert, key: certificate.key, ca: certificate.cert, requestCert: true, rejectUnauthorized: true },
    (socket) => socket.end(socket.authorized ? 'authorized' : 'refused'),
  )
  onTestFinished(() => {
    server.close()
  })
  server.listen({ host: '127.0.0.1', port: 0 })
  await waitFor(server, 'listening')
  const { port } = server.address() as { port: number }
  const client = tls.connect({
    host: '127.0.0.1',
    port,
    ca: certificate.cert,
    servername: 'localhost',
    cert: certificate.clientCert as string,
    key: certificate.clientKey as string,
  })
  onTestFinished(() => {
    client.destroy()
  })
  await waitFor(client, 'secureConnect')
  expect(client.authorized).toBe(true)
  expect((await readBytes(client, 10)).toString()).toBe('authorized')

  await certificate.cleanup()
  await expect(stat(certificate.dir)).rejects.toMatchObject({ code: 'ENOENT' })
})
