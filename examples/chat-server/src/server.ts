import { AppServer, type LogFactory } from '@socketlite/app-server'
import { CommandLineReceiveFilterFactory } from '@socketlite/protocol'
import { ChatLogic } from './chat-logic.js'
import type { ChatMessage } from './chat-message.js'
import { LogicQueue } from './logic-queue.js'

/** Options of {@link createChatServer}. */
export interface ChatServerOptions {
  /** Port on 127.0.0.1; 0 = ephemeral. */
  port: number
  /** Rooms `0` to `roomCount - 1`. @default 100 */
  roomCount?: number
  /** Users a room holds at most. @default 4 */
  maxUsersPerRoom?: number
  /** Where the server logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/**
 * SuperSocketLite's `ChatServer` tutorial over a line protocol (see the README): login, rooms, chat. Sessions only
 * post messages to one {@link LogicQueue}; the {@link ChatLogic} behind it changes the state and answers by session
 * id. Call `start()` on the result.
 */
export function createChatServer(options: ChatServerOptions): AppServer {
  const server = new AppServer({
    config: { name: 'chat-server', port: options.port, maxConnectionNumber: 256, maxRequestLength: 1_024 },
    receiveFilterFactory: new CommandLineReceiveFilterFactory(),
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  const logic = new ChatLogic({
    roomCount: options.roomCount ?? 100,
    maxUsersPerRoom: options.maxUsersPerRoom ?? 4,
    // The original's SendData(sessionId, bytes). A client too slow to take its lines is dropped: the logic never waits.
    sendLine(sessionId, line) {
      const session = server.getSessionById(sessionId)
      if (session !== undefined && !session.trySend(`${line}\r\n`)) void session.close()
    },
  })
  const queue = new LogicQueue<ChatMessage>(
    (message) => logic.handle(message),
    (error, message) => server.logger.error('Chat logic failed', { err: error, sessionId: message.sessionId }),
  )
  // Returning the promise makes each session's next request wait until this one was handled: a client that floods
  // the server holds at most one message in the queue.
  server.on('newSessionConnected', (session) => queue.post({ kind: 'connect', sessionId: session.sessionId }))
  server.on('newRequestReceived', (session, request) =>
    queue.post({ kind: 'request', sessionId: session.sessionId, request }),
  )
  server.on('sessionClosed', (session) => void queue.post({ kind: 'disconnect', sessionId: session.sessionId }))
  return server
}
