import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason, formatEndPoint } from '@socketlite/socket-base'
import { sessionCompliance } from '@socketlite/testing'
import { UdpDemultiplexer, UdpSocketSession } from '../src/index.js'
import { bindUdp, datagramPeer } from './helpers.js'

for (const host of ['127.0.0.1', '::1']) {
  sessionCompliance({
    name: `UdpSocketSession over ${host === '::1' ? 'IPv6' : 'IPv4'}`,
    closeReasons: CloseReason,
    stream: false,
    async setup(init) {
      const server = await bindUdp(host, false)
      const client = await bindUdp(host, false)
      const session = new UdpSocketSession({
        ...init,
        sender: server,
        remoteEndPoint: client.endPoint,
        localEndPoint: server.endPoint,
      })
      const peerKey = formatEndPoint(client.endPoint)
      server.onMessage = (data, remote) => {
        if (formatEndPoint(remote) === peerKey) session.receive(data)
      }
      return {
        session,
        peer: datagramPeer(client, server.endPoint),
        async cleanup() {
          await Promise.all([client.close(), server.close()])
        },
      }
    },
  })
}

// A session made by the demultiplexer (an outbound one: it takes every datagram of its endpoint), with a chunk pool.
const sendPool = new SmartPool({ chunkSize: 4_096, maxChunks: 8 })

sessionCompliance({
  name: 'UdpSocketSession made by UdpDemultiplexer, with a chunk pool',
  closeReasons: CloseReason,
  stream: false,
  async setup(init) {
    const server = await bindUdp('127.0.0.1', false)
    const client = await bindUdp('127.0.0.1', false)
    const demultiplexer = new UdpDemultiplexer({
      sender: server,
      localEndPoint: server.endPoint,
      session: { ...init, sendPool },
      onPeer: (peer) => peer.refuse(),
    })
    server.onMessage = (data, remote) => demultiplexer.receive(data, remote)
    return {
      session: demultiplexer.connect(client.endPoint).open(),
      peer: datagramPeer(client, server.endPoint),
      async cleanup() {
        await Promise.all([client.close(), server.close()])
      },
    }
  },
})
