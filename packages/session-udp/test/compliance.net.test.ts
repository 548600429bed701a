import { CloseReason, formatEndPoint } from '@socketlite/socket-base'
import { sessionCompliance } from '@socketlite/testing'
import { UdpSocketSession } from '../src/index.js'
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
