import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason } from '@socketlite/socket-base'
import { sessionCompliance, streamPeer, tcpSocketPair } from '@socketlite/testing'
import { AsyncSocketSession } from '../src/index.js'

// One chunk pool shared by every session, as a server has.
const sendPool = new SmartPool({ chunkSize: 1_024, maxChunks: 8 })

sessionCompliance({
  name: 'AsyncSocketSession over IPv4, with a chunk pool',
  closeReasons: CloseReason,
  stream: true,
  async setup(init) {
    const pair = await tcpSocketPair()
    return {
      session: new AsyncSocketSession(pair.server, { ...init, sendPool }),
      peer: streamPeer(pair.client),
      cleanup: pair.close,
    }
  },
})

sessionCompliance({
  name: 'AsyncSocketSession over IPv6, without a pool',
  closeReasons: CloseReason,
  stream: true,
  async setup(init) {
    const pair = await tcpSocketPair({ host: '::1' })
    return { session: new AsyncSocketSession(pair.server, init), peer: streamPeer(pair.client), cleanup: pair.close }
  },
})
