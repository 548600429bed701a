import { once } from 'node:events'
import tls from 'node:tls'
import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason } from '@socketlite/socket-base'
import {
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  sessionCompliance,
  streamPeer,
  tcpSocketPair,
} from '@socketlite/testing'
import { afterAll, beforeAll } from 'vitest'
import { TlsCertificateStore, TlsSocketSession } from '../src/index.js'

let certificate: SelfSignedCertificate
let store: TlsCertificateStore

beforeAll(async () => {
  certificate = await makeSelfSignedCertificate()
  store = new TlsCertificateStore({ certFile: certificate.certFile, keyFile: certificate.keyFile })
})

afterAll(async () => {
  await certificate.cleanup()
})

// IPv4 sessions share one chunk pool, as a server's do; IPv6 ones have none.
const sendPool = new SmartPool({ chunkSize: 2_048, maxChunks: 8 })

for (const host of ['127.0.0.1', '::1']) {
  sessionCompliance({
    name: `TlsSocketSession over ${host === '::1' ? 'IPv6' : 'IPv4, with a chunk pool'}`,
    closeReasons: CloseReason,
    stream: true,
    async setup(init) {
      const pair = await tcpSocketPair({ host })
      const client = tls.connect({ socket: pair.client, ca: certificate.cert, servername: 'localhost' })
      client.on('error', () => {})
      try {
        const [session] = await Promise.all([
          TlsSocketSession.accept(pair.server, {
            ...init,
            ...(host === '::1' ? {} : { sendPool }),
            secureContext: store.secureContext,
            handshakeTimeOut: 2_000,
          }),
          once(client, 'secureConnect', { signal: AbortSignal.timeout(2_000) }),
        ])
        return {
          session,
          peer: streamPeer(client, { rawSocket: pair.client }),
          cleanup: pair.close,
        }
      } catch (error) {
        client.destroy()
        await pair.close()
        throw error
      }
    },
  })
}
