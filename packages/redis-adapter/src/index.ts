/**
 * @packageDocumentation
 * `RedisAdapter`: joins many socketlite servers, in many processes on many machines, into one service through Redis
 * (ioredis). `publish` to every session or to a group, `sendTo` one session wherever it lives, `countSessions` and
 * `nodes()` service-wide. A message to one session goes only to the node that has it; a group's messages go only to
 * nodes with members of that group; a dead node drops out within `nodeTimeout`; while Redis is down local sessions
 * keep working, cluster calls fail fast with `ClusterUnavailableError`, and the node re-registers by itself on
 * reconnect, counting the messages it missed.
 *
 * @example
 * ```ts
 * import { AppServer } from '@socketlite/app-server'
 * import { RedisAdapter } from '@socketlite/redis-adapter'
 *
 * const server = new AppServer({
 *   config: { port: 2020 },
 *   adapter: new RedisAdapter({ url: 'redis://127.0.0.1:6379' }),
 * })
 * server.command('JOIN', (session, request) => session.join(request.body))
 * server.command('SAY', (session, request) => server.publish(`${request.body}\r\n`, { group: 'lobby' }))
 * await server.start()
 * ```
 */
export { RedisAdapter, type RedisAdapterEvents, type RedisAdapterInit } from './redis-adapter.js'
export { wireVersion } from './wire.js'
