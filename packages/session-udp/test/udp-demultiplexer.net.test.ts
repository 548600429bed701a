import { CloseReason, type EndPoint, formatEndPoint, SocketError } from '@socketlite/socket-base'
import { SessionRecorder, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import {
  type DatagramSessionId,
  UdpDemultiplexer,
  type UdpDrop,
  type UdpPeer,
  type UdpPeerSessionInit,
  type UdpSocketSession,
} from '../src/index.js'
import { type BoundSocket, bindUdp, DatagramInbox, sessionDefaults } from './helpers.js'

// The demultiplexer over real loopback sockets: the "server" socket's datagrams are routed to sessions, "client"
// sockets play the peers.

interface Opened {
  readonly peer: UdpPeer
  readonly session: UdpSocketSession
  readonly recorder: SessionRecorder
}

interface Harness {
  readonly server: BoundSocket
  readonly demultiplexer: UdpDemultiplexer
  /** Every peer handed to onPeer, in order. */
  readonly peers: UdpPeer[]
  /** Sessions opened by the default admission (every peer opened and started at once, released when closed). */
  readonly opened: Opened[]
  readonly drops: UdpDrop[]
  /** Resolve once `count` peers arrived, at most 2 s. */
  peersArrived(count: number): Promise<void>
}

/** Open and start `peer`'s session with an echo-less recorder; release the peer once the session closes. */
function openPeer(peer: UdpPeer, opened: Opened[]): Opened {
  const session = peer.open()
  const recorder = new SessionRecorder()
  session.start({
    onData: (data) => recorder.onData(data),
    onClosed: (reason) => {
      recorder.onClosed(reason)
      peer.release()
    },
  })
  const entry = { peer, session, recorder }
  opened.push(entry)
  onTestFinished(() => withTimeout(session.close(CloseReason.ServerClosing), 3_000, 'a session to close'))
  return entry
}

async function harness(
  options: {
    sessionIdOf?: (datagram: Buffer) => DatagramSessionId
    session?: Partial<UdpPeerSessionInit>
    /** Admission: open at once (default), or leave the peer waiting for the test. */
    admit?: 'open' | 'wait'
  } = {},
): Promise<Harness> {
  const server = await bindUdp()
  const peers: UdpPeer[] = []
  const opened: Opened[] = []
  const drops: UdpDrop[] = []
  const arrivals = new Set<() => void>()
  const demultiplexer = new UdpDemultiplexer({
    sender: server,
    localEndPoint: server.endPoint,
    session: { ...sessionDefaults, ...options.session },
    ...(options.sessionIdOf === undefined ? {} : { sessionIdOf: options.sessionIdOf }),
    onPeer(peer) {
      peers.push(peer)
      if (options.admit !== 'wait') openPeer(peer, opened)
      for (const wake of [...arrivals]) wake()
    },
    onDropped: (drop) => drops.push(drop),
  })
  server.onMessage = (data, remote) => demultiplexer.receive(data, remote)
  const peersArrived = (count: number) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (peers.length < count) return
          arrivals.delete(check)
          resolve()
        }
        arrivals.add(check)
        check()
      }),
      2_000,
      `${count} peers`,
    )
  return { server, demultiplexer, peers, opened, drops, peersArrived }
}

/** Send `payloads` from `client` to `target`, one datagram each, and wait until all were handed to the kernel. */
async function send(client: BoundSocket, target: EndPoint, ...payloads: string[]): Promise<void> {
  for (const payload of payloads) {
    await new Promise<void>((resolve, reject) =>
      client.send(Buffer.from(payload), target, (error) => (error ? reject(error) : resolve())),
    )
  }
}

/** A `sessionIdOf` for datagrams like `id=abc;payload` (no `id=` prefix: no id; `?`: says neither; `!`: throws). */
function idPrefix(datagram: Buffer): DatagramSessionId {
  const text = datagram.toString()
  if (text.startsWith('!')) throw Object.assign(new Error('malformed'), { code: 'ERR_PROTOCOL' })
  if (text.startsWith('?')) return undefined
  if (!text.startsWith('id=')) return null
  return text.slice(3, text.indexOf(';'))
}

describe('endpoint mode', () => {
  test('one session per remote endpoint, id ip:port, datagrams in order; replies go back to the peer', async () => {
    const { server, opened, peersArrived, demultiplexer } = await harness()
    const [first, second] = await Promise.all([bindUdp(), bindUdp()])
    await send(first, server.endPoint, 'a1', 'a2')
    await send(second, server.endPoint, 'b1')
    await send(first, server.endPoint, 'a3')
    await peersArrived(2)
    await vi.waitFor(() => expect(opened.map((entry) => entry.recorder.received.length)).toEqual([3, 1]))
    expect(opened.map((entry) => entry.peer.sessionId)).toEqual([
      formatEndPoint(first.endPoint),
      formatEndPoint(second.endPoint),
    ])
    expect(opened[0]?.recorder.received.map(String)).toEqual(['a1', 'a2', 'a3'])
    expect(demultiplexer.mode).toBe('endpoint')
    const inbox = new DatagramInbox(first)
    expect(opened[0]?.session.trySendCopy('reply')).toBe(true)
    expect((await inbox.waitFor(1)).map(String)).toEqual(['reply'])
  })

  test('datagrams that arrive while the peer is admitted wait, in order, bounded in count and bytes', async () => {
    const { server, peers, drops, peersArrived, demultiplexer } = await harness({
      admit: 'wait',
      session: { maxQueuedDatagrams: 3, maxQueuedBytes: 6 },
    })
    const client = await bindUdp()
    await send(client, server.endPoint, '11', '22', '333', '4', '5')
    await peersArrived(1)
    await vi.waitFor(() => expect(drops).toHaveLength(2))
    // '333' would pass 6 bytes; '5' would be a fourth datagram.
    expect(drops.map((drop) => [drop.reason, drop.bytes])).toEqual([
      ['queueFull', 3],
      ['queueFull', 1],
    ])
    expect(peers).toHaveLength(1) // later datagrams of the same peer make no second peer
    const opened: Opened[] = []
    const { recorder } = openPeer(peers[0] as UdpPeer, opened)
    expect(recorder.received.map(String)).toEqual(['11', '22', '4'])
    expect(demultiplexer.peerCount).toBe(1)
  })

  test('a refused peer drops what waited (reported as refused); its next datagram is a new peer', async () => {
    const { server, peers, drops, peersArrived, demultiplexer } = await harness({ admit: 'wait' })
    const [client, barrier] = await Promise.all([bindUdp(), bindUdp()])
    await send(client, server.endPoint, 'x', 'y')
    // A datagram sent after them from another peer: once it arrived, so did 'y' (one socket, one receive queue).
    await send(barrier, server.endPoint, 'barrier')
    await peersArrived(2)
    ;(peers[0] as UdpPeer).refuse()
    expect(drops.map((drop) => drop.reason)).toEqual(['refused', 'refused'])
    expect(demultiplexer.peerCount).toBe(1)
    expect(() => (peers[0] as UdpPeer).open()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    await send(client, server.endPoint, 'again')
    await peersArrived(3)
    expect(peers[2]?.remoteEndPoint).toEqual(client.endPoint)
  })

  test('datagrams for a closed session not yet released are dropped; after release the peer is new', async () => {
    const { server, opened, drops, peersArrived } = await harness()
    const client = await bindUdp()
    // Keep the peer unreleased after the close: take over its onClosed.
    await send(client, server.endPoint, 'first')
    await peersArrived(1)
    const entry = opened[0] as Opened
    await withTimeout(entry.session.close(CloseReason.ServerClosing), 2_000, 'close')
    await send(client, server.endPoint, 'too late')
    await vi.waitFor(() => expect(opened).toHaveLength(2))
    // The first session released its peer when it closed (openPeer does), so 'too late' made a second one.
    expect(drops).toEqual([])
    expect(opened[1]?.recorder.received.map(String)).toEqual(['too late'])
  })

  test('a session whose handler is busy holds its datagrams in its own bounded queue, and reports the drops', async () => {
    const { server, opened, drops, peersArrived } = await harness({ session: { maxQueuedDatagrams: 2 } })
    const client = await bindUdp()
    await send(client, server.endPoint, 'a')
    await peersArrived(1)
    const entry = opened[0] as Opened
    await vi.waitFor(() => expect(entry.recorder.received).toHaveLength(1))
    entry.session.pauseReceive()
    await send(client, server.endPoint, 'b', 'c', 'd')
    await vi.waitFor(() => expect(drops).toHaveLength(1))
    expect(drops[0]).toMatchObject({ reason: 'queueFull', bytes: 1, remoteEndPoint: client.endPoint })
    entry.session.resumeReceive()
    expect(entry.recorder.received.map(String)).toEqual(['a', 'b', 'c'])
  })
})

describe('session-id mode', () => {
  test('the session follows its id; a datagram from a new address moves the replies there (roaming)', async () => {
    const { server, opened, peersArrived, demultiplexer } = await harness({ sessionIdOf: idPrefix })
    const [home, away] = await Promise.all([bindUdp(), bindUdp()])
    await send(home, server.endPoint, 'id=Alpha;one')
    await peersArrived(1)
    expect(demultiplexer.mode).toBe('sessionId')
    const entry = opened[0] as Opened
    expect(entry.peer.sessionId).toBe('Alpha')
    await send(away, server.endPoint, 'id=alpha;two') // ids match case-insensitively
    await vi.waitFor(() => expect(entry.recorder.received.map(String)).toEqual(['id=Alpha;one', 'id=alpha;two']))
    expect(entry.session.remoteEndPoint).toEqual(away.endPoint)
    const inbox = new DatagramInbox(away)
    entry.session.trySendCopy('found you')
    expect((await inbox.waitFor(1)).map(String)).toEqual(['found you'])
    expect(opened).toHaveLength(1)
  })

  test('the first datagram that says it decides the mode; one that says neither decides nothing and is dropped', async () => {
    const { server, opened, drops, peersArrived, demultiplexer } = await harness({ sessionIdOf: idPrefix })
    const client = await bindUdp()
    await send(client, server.endPoint, '?mixed', '!broken')
    await vi.waitFor(() => expect(drops).toHaveLength(2))
    expect(demultiplexer.mode).toBeUndefined()
    expect(drops.map((drop) => drop.reason)).toEqual(['unnamed', 'unnamed'])
    expect(drops[1]?.error).toMatchObject({ code: 'ERR_PROTOCOL' })
    expect(opened).toHaveLength(0)
    await send(client, server.endPoint, 'id=x;hello')
    await peersArrived(1)
    expect(demultiplexer.mode).toBe('sessionId')
    // Once in session-id mode, a datagram without an id names no session.
    await send(client, server.endPoint, 'no id here')
    await vi.waitFor(() => expect(drops).toHaveLength(3))
    expect(drops[2]?.reason).toBe('unnamed')
  })

  test('a datagram without an id first decides endpoint mode: ids are not read from then on', async () => {
    const sessionIdOf = vi.fn(idPrefix)
    const { server, opened, peersArrived, demultiplexer } = await harness({ sessionIdOf })
    const client = await bindUdp()
    await send(client, server.endPoint, 'plain')
    await peersArrived(1)
    expect(demultiplexer.mode).toBe('endpoint')
    const calls = sessionIdOf.mock.calls.length
    await send(client, server.endPoint, 'id=ignored;now')
    await vi.waitFor(() => expect(opened[0]?.recorder.received.map(String)).toEqual(['plain', 'id=ignored;now']))
    expect(sessionIdOf.mock.calls.length).toBe(calls)
  })
})

describe('outbound sessions', () => {
  test('connect makes a session with an endpoint that receives all it sends, whatever the mode', async () => {
    const { server, demultiplexer, peers, drops } = await harness({ sessionIdOf: idPrefix })
    const remote = await bindUdp()
    const peer = demultiplexer.connect(remote.endPoint)
    expect(peer.outbound).toBe(true)
    expect(peer.sessionId).toBe(formatEndPoint(remote.endPoint))
    const { session, recorder } = openPeer(peer, [])
    const inbox = new DatagramInbox(remote)
    session.trySendCopy('hello from here')
    expect((await inbox.waitFor(1)).map(String)).toEqual(['hello from here'])
    await send(remote, server.endPoint, 'no id, still mine', 'id=other;also mine')
    await vi.waitFor(() => expect(recorder.received.map(String)).toEqual(['no id, still mine', 'id=other;also mine']))
    expect(peers).toHaveLength(0)
    expect(drops).toEqual([])
    let error: unknown
    try {
      demultiplexer.connect(remote.endPoint)
    } catch (caught) {
      error = caught
    }
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_CONNECT_FAILED')
  })

  test('closeAll closes every session with the reason given', async () => {
    const { server, demultiplexer, opened, peersArrived } = await harness()
    const [first, second] = await Promise.all([bindUdp(), bindUdp()])
    await send(first, server.endPoint, 'a')
    await send(second, server.endPoint, 'b')
    await peersArrived(2)
    await withTimeout(demultiplexer.closeAll(CloseReason.ServerShutdown), 2_000, 'closeAll')
    expect(opened.map((entry) => entry.recorder.closedReasons)).toEqual([
      [CloseReason.ServerShutdown],
      [CloseReason.ServerShutdown],
    ])
    await vi.waitFor(() => expect(demultiplexer.peerCount).toBe(0))
  })
})

test('bad options throw InvalidArgumentError', () => {
  const sender = { maxDatagramSize: 100, send() {} }
  const localEndPoint = { address: '127.0.0.1', port: 1, family: 'IPv4' } as const
  const good = { sender, localEndPoint, session: sessionDefaults, onPeer() {} }
  for (const bad of [
    { sender: {} },
    { localEndPoint: null },
    { onPeer: undefined },
    { sessionIdOf: 'no' },
    { session: { ...sessionDefaults, maxQueuedBytes: 0 } },
  ]) {
    expect(() => new UdpDemultiplexer({ ...good, ...bad } as never), JSON.stringify(bad)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  }
})
