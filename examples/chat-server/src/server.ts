import { AppServer, type ClusterAdapter, type LogFactory } from '@socketlite/app-server'
import { ChatLogic } from './chat-logic.js'
import { LogicQueue } from './logic-queue.js'

/** Options of {@link createChatServer}. */
export interface ChatServerOptions {
  /** Port on 127.0.0.1; 0 = ephemeral. */
  port: number
  /** Rooms `0` to `roomCount - 1`. @default 100 */
  roomCount?: number
  /** Users a room holds at most, on every instance together. @default 4 */
  maxUsersPerRoom?: number
  /**
   * Joins this instance to others (a `RedisAdapter`): rooms then span every instance. @default one instance alone
   */
  adapter?: ClusterAdapter
  /** Where the server logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/** The group of a room. */
const roomGroup = (room: number): string => `room:${room}`

/**
 * SuperSocketLite's `ChatServer` tutorial over a line protocol (see the README): login, rooms, chat. Each command
 * only posts a task to one {@link LogicQueue}; the {@link ChatLogic} behind it changes the state, answers by session
 * id and reaches rooms through the server's groups (on every instance, with an adapter). Call `start()` on the
 * result.
 */
export function createChatServer(options: ChatServerOptions): AppServer {
  const server = new AppServer({
    config: { name: 'chat-server', port: options.port, maxConnectionNumber: 256, maxRequestLength: 1_024 },
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  const logic = new ChatLogic({
    roomCount: options.roomCount ?? 100,
    maxUsersPerRoom: options.maxUsersPerRoom ?? 4,
    service: {
      // The original's SendData(sessionId, bytes). A client too slow to take its lines is dropped: nobody waits.
      sendLine(sessionId, line) {
        const session = server.getSessionById(sessionId)
        if (session !== undefined && !session.trySend(`${line}\r\n`)) void session.close()
      },
      toRoom: (room, line) => server.publish(`${line}\r\n`, { group: roomGroup(room) }),
      roomSize: (room) => server.countSessions({ group: roomGroup(room) }),
      enterRoom: async (sessionId, room) => server.getSessionById(sessionId)?.join(roomGroup(room)),
      leaveRoom: async (sessionId, room) => server.getSessionById(sessionId)?.leave(roomGroup(room)),
    },
  })
  const queue = new LogicQueue<() => unknown>(
    async (task) => {
      await task()
    },
    (error) => server.logger.error('Chat logic failed', { err: error }),
  )
  // Returning the promise makes each session's next request wait until this one was handled: a client that floods
  // the server holds at most one task in the queue.
  server.on('newSessionConnected', (session) => queue.post(() => logic.connect(session.sessionId)))
  server.command('LOGIN', (session, request) => queue.post(() => logic.login(session.sessionId, request.body)))
  server.command('ENTER', (session, request) => queue.post(() => logic.enter(session.sessionId, request.body)))
  server.command('CHAT', (session, request) => queue.post(() => logic.chat(session.sessionId, request.body)))
  server.command('LEAVE', (session) => queue.post(() => logic.leave(session.sessionId)))
  server.on('newRequestReceived', (session, request) => queue.post(() => logic.unknown(session.sessionId, request.key)))
  server.on('sessionClosed', (session) => void queue.post(() => logic.disconnect(session.sessionId)))
  return server
}
