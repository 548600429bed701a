import { CloseReason } from '@socketlite/socket-base'
import { sessionCompliance, streamPeer, tcpSocketPair } from '@socketlite/testing'
import { AsyncSocketSession } from '../src/index.js'

sessionCompliance({
  name: 'AsyncSocketSession over IPv4',
  closeReasons: CloseReason,
  stream: true,
  async setup(init) {
    const pair = await tcpSocketPair()
    return { session: new AsyncSocketSession(pair.server, init), peer: streamPeer(pair.client), cleanup: pair.close }
  },
})

sessionCompliance({
  name: 'AsyncSocketSession over IPv6',
  closeReasons: CloseReason,
  stream: true,
  async setup(init) {
    const pair = await tcpSocketPair({ host: '::1' })
    return { session: new AsyncSocketSession(pair.server, init), peer: streamPeer(pair.client), cleanup: pair.close }
  },
})
