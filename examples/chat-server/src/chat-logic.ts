import type { StringRequestInfo } from '@socketlite/app-server'
import type { ChatMessage } from './chat-message.js'

/** A logged-in (or not yet) client. */
interface User {
  name: string | undefined
  room: number | undefined
}

/** Options of {@link ChatLogic}. */
export interface ChatLogicInit {
  /** Rooms `0` to `roomCount - 1`. */
  readonly roomCount: number
  /** Users a room holds at most. */
  readonly maxUsersPerRoom: number
  /** Deliver one line (without its `\r\n`) to a session. */
  readonly sendLine: (sessionId: string, line: string) => void
}

const validName = /^[A-Za-z0-9_-]{1,16}$/

/**
 * The chat state (users, names, rooms) and the rules that change it. Only the logic queue calls
 * {@link ChatLogic.handle}, one message at a time, so the state needs no locking, as in the original.
 */
export class ChatLogic {
  readonly #init: ChatLogicInit
  readonly #users = new Map<string, User>()
  readonly #names = new Set<string>()
  readonly #rooms: Set<string>[]

  constructor(init: ChatLogicInit) {
    this.#init = init
    this.#rooms = Array.from({ length: init.roomCount }, () => new Set<string>())
  }

  handle(message: ChatMessage): void {
    if (message.kind === 'connect') this.#users.set(message.sessionId, { name: undefined, room: undefined })
    else if (message.kind === 'disconnect') this.#disconnect(message.sessionId)
    else {
      const answer = this.#answer(message.sessionId, message.request)
      if (answer !== undefined) this.#init.sendLine(message.sessionId, answer)
    }
  }

  /** Apply one request; returns the answer to its sender (lines joined with `\r\n`), if any. */
  #answer(sessionId: string, request: StringRequestInfo): string | undefined {
    const user = this.#users.get(sessionId)
    if (user === undefined) return undefined // (cannot happen: the connect message always comes first)
    switch (request.key) {
      case 'LOGIN': {
        const name = request.body
        if (user.name !== undefined) return 'LOGIN FAIL already'
        if (!validName.test(name)) return 'LOGIN FAIL invalid'
        if (this.#names.has(name)) return 'LOGIN FAIL taken'
        this.#names.add(name)
        user.name = name
        return `LOGIN OK ${name}`
      }
      case 'ENTER': {
        const roomId = Number(request.body)
        if (user.name === undefined) return 'ENTER FAIL login'
        if (user.room !== undefined) return 'ENTER FAIL already'
        const room = /^\d+$/.test(request.body) ? this.#rooms[roomId] : undefined
        if (room === undefined) return 'ENTER FAIL room'
        if (room.size >= this.#init.maxUsersPerRoom) return 'ENTER FAIL full'
        this.#toRoom(roomId, `JOINED ${user.name}`)
        room.add(sessionId)
        user.room = roomId
        const names = [...room].map((id) => this.#users.get(id)?.name)
        return `ENTER OK ${roomId}\r\nUSERS ${roomId} ${names.join(' ')}`
      }
      case 'LEAVE':
        if (user.room === undefined) return 'LEAVE FAIL room'
        this.#leave(sessionId, user)
        return 'LEAVE OK'
      case 'CHAT':
        if (user.room === undefined) return 'CHAT FAIL room'
        this.#toRoom(user.room, `CHAT ${user.name} ${request.body}`) // the sender hears it too
        return undefined
      default:
        return `ERROR unknown ${request.key}`
    }
  }

  #disconnect(sessionId: string): void {
    const user = this.#users.get(sessionId)
    if (user === undefined) return
    if (user.room !== undefined) this.#leave(sessionId, user)
    if (user.name !== undefined) this.#names.delete(user.name)
    this.#users.delete(sessionId)
  }

  #leave(sessionId: string, user: User): void {
    if (user.room === undefined) return
    this.#rooms[user.room]?.delete(sessionId)
    this.#toRoom(user.room, `LEFT ${user.name}`)
    user.room = undefined
  }

  #toRoom(roomId: number, line: string): void {
    for (const sessionId of this.#rooms[roomId] ?? []) this.#init.sendLine(sessionId, line)
  }
}
