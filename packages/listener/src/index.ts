/**
 * @packageDocumentation
 * TCP and UDP listeners for socketlite: the accept loop of one endpoint (`TcpSocketListener`: backlog, IPv4/IPv6,
 * accept errors reported, never fatal) and one bound datagram socket (`UdpSocketListener`). Listeners know
 * nothing of sessions: they hand sockets and datagrams up.
 *
 * @example
 * ```ts
 * import { TcpSocketListener } from '@socketlite/listener'
 *
 * const listener = new TcpSocketListener({ ip: '127.0.0.1', port: 0 })
 * listener.on('connection', (socket) => socket.pipe(socket)) // echo
 * listener.on('error', (err) => console.error('accept failed', err))
 * const endPoint = await listener.start() // { address: '127.0.0.1', port: 40123, family: 'IPv4' }
 * await listener.stop()
 * ```
 */
export { endPointOf } from './endpoint.js'
export { TcpSocketListener, type TcpSocketListenerEvents, type TcpSocketListenerInit } from './tcp-socket-listener.js'
export { UdpSocketListener, type UdpSocketListenerEvents, type UdpSocketListenerInit } from './udp-socket-listener.js'
