/** What the chat logic does to the outside world: answer a session, reach a room, count it, join and leave it. */
export interface ChatService {
  /** Deliver one line (without its `\r\n`) to a session of this instance. */
  sendLine(sessionId: string, line: string): void
  /** Deliver one line to every member of the room, on every instance (`server.publish` to the room's group). */
  toRoom(room: number, line: string): Promise<void>
  /** Members of the room on every instance now (`server.countSessions({ group })`). */
  roomSize(room: number): Promise<number>
  /** The session joins the room's group (it hears the room's lines from now on). */
  enterRoom(sessionId: string, room: number): Promise<void>
  /** The session leaves the room's group (a no-op for a session that is gone: it left every group). */
  leaveRoom(sessionId: string, room: number): Promise<void>
}

/** Options of {@link ChatLogic}. */
export interface ChatLogicInit {
  /** Rooms `0` to `roomCount - 1`. */
  readonly roomCount: number
  /** Users a room holds at most (counted on every instance). */
  readonly maxUsersPerRoom: number
  readonly service: ChatService
}

/** A logged-in (or not yet) client of this instance. */
interface User {
  name: string | undefined
  room: number | undefined
}

const validName = /^[A-Za-z0-9_-]{1,16}$/

/**
 * The chat state of one instance (its users, their names and rooms) and the rules that change it, one method per
 * command. Only the logic queue calls them, one at a time, so the state needs no locking, as in the original. Rooms
 * are groups of the server: their lines reach members on every instance of the service.
 */
export class ChatLogic {
  readonly #init: ChatLogicInit
  readonly #users = new Map<string, User>()
  readonly #names = new Set<string>()
  /** Room → this instance's members, for the `USERS` list. */
  readonly #rooms = new Map<number, Set<string>>()

  constructor(init: ChatLogicInit) {
    this.#init = init
  }

  connect(sessionId: string): void {
    this.#users.set(sessionId, { name: undefined, room: undefined })
  }

  // Each command answers its sender (lines joined with `\r\n`), if at all. A user is always known: the connect task
  // comes first.

  login(sessionId: string, name: string): void {
    const user = this.#users.get(sessionId)
    this.#answer(sessionId, user === undefined ? undefined : this.#login(user, name))
  }

  async enter(sessionId: string, roomText: string): Promise<void> {
    const user = this.#users.get(sessionId)
    this.#answer(sessionId, user === undefined ? undefined : await this.#enter(sessionId, user, roomText))
  }

  async leave(sessionId: string): Promise<void> {
    const user = this.#users.get(sessionId)
    if (user === undefined) return
    if (user.room === undefined) {
      this.#answer(sessionId, 'LEAVE FAIL room')
      return
    }
    await this.#leave(sessionId, user)
    this.#answer(sessionId, 'LEAVE OK')
  }

  async chat(sessionId: string, text: string): Promise<void> {
    const user = this.#users.get(sessionId)
    if (user === undefined) return
    if (user.room === undefined) {
      this.#answer(sessionId, 'CHAT FAIL room')
      return
    }
    // The sender hears it too. While the cluster backend is down, nobody does.
    await this.#init.service
      .toRoom(user.room, `CHAT ${user.name} ${text}`)
      .catch(() => this.#answer(sessionId, 'CHAT FAIL unavailable'))
  }

  unknown(sessionId: string, command: string): void {
    this.#answer(sessionId, `ERROR unknown ${command}`)
  }

  async disconnect(sessionId: string): Promise<void> {
    const user = this.#users.get(sessionId)
    if (user === undefined) return
    this.#users.delete(sessionId)
    if (user.name !== undefined) this.#names.delete(user.name)
    if (user.room !== undefined) await this.#leave(sessionId, user)
  }

  #login(user: User, name: string): string {
    if (user.name !== undefined) return 'LOGIN FAIL already'
    if (!validName.test(name)) return 'LOGIN FAIL invalid'
    if (this.#names.has(name)) return 'LOGIN FAIL taken'
    this.#names.add(name)
    user.name = name
    return `LOGIN OK ${name}`
  }

  async #enter(sessionId: string, user: User, roomText: string): Promise<string> {
    if (user.name === undefined) return 'ENTER FAIL login'
    if (user.room !== undefined) return 'ENTER FAIL already'
    const room = Number(roomText)
    if (!/^\d+$/.test(roomText) || room >= this.#init.roomCount) return 'ENTER FAIL room'
    const { service } = this.#init
    try {
      if ((await service.roomSize(room)) >= this.#init.maxUsersPerRoom) return 'ENTER FAIL full'
      await service.toRoom(room, `JOINED ${user.name}`)
      await service.enterRoom(sessionId, room)
    } catch {
      return 'ENTER FAIL unavailable' // the cluster backend is down
    }
    const members = this.#rooms.get(room) ?? new Set<string>()
    this.#rooms.set(room, members)
    members.add(sessionId)
    user.room = room
    const names = [...members].map((id) => this.#users.get(id)?.name)
    return `ENTER OK ${room}\r\nUSERS ${room} ${names.join(' ')}`
  }

  async #leave(sessionId: string, user: User): Promise<void> {
    const room = user.room
    if (room === undefined) return
    user.room = undefined
    const members = this.#rooms.get(room)
    members?.delete(sessionId)
    if (members?.size === 0) this.#rooms.delete(room)
    const { service } = this.#init
    // While the cluster backend is down the leave is applied on reconnect, and the notice is lost.
    await service.leaveRoom(sessionId, room).catch(() => {})
    await service.toRoom(room, `LEFT ${user.name}`).catch(() => {})
  }

  #answer(sessionId: string, line: string | undefined): void {
    if (line !== undefined) this.#init.service.sendLine(sessionId, line)
  }
}
