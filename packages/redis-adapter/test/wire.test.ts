import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { SequenceCounters, SequenceTracker } from '../src/sequence.js'
import {
  decodeMessage,
  encodeMessage,
  isFrom,
  isWireMessage,
  MessageKind,
  wireMagic,
  wireVersion,
} from '../src/wire.js'

const kind = fc.constantFrom(MessageKind.All, MessageKind.Group, MessageKind.Session)
const id = fc.string({ minLength: 1, maxLength: 60 }).filter((text) => Buffer.byteLength(text) <= 255)

describe('wire format', () => {
  test.prop([
    kind,
    id,
    fc.nat({ max: 0xffff_ffff }),
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    id,
    fc.uint8Array({ maxLength: 300 }),
  ])(
    'decode(encode(x)) = x for every kind, id, epoch, sequence up to 2^53 - 1, target and payload',
    (messageKind, publisher, epoch, sequence, someTarget, payload) => {
      const target = messageKind === MessageKind.All ? '' : someTarget
      const decoded = decodeMessage(encodeMessage(messageKind, publisher, epoch, sequence, target, payload))
      if (!isWireMessage(decoded)) throw new Error(`rejected: ${decoded.reason}`)
      expect(decoded).toEqual({ kind: messageKind, publisher, epoch, sequence, target, payload: Buffer.from(payload) })
    },
  )

  test('the first two bytes are the magic and the version, in every message', () => {
    const message = encodeMessage(MessageKind.Group, 'node', 7, 1, 'room', new Uint8Array([1, 2, 3]))
    expect([message[0], message[1]]).toEqual([wireMagic, wireVersion])
    expect(wireVersion).toBe(1)
  })

  test.prop([fc.uint8Array({ maxLength: 80 })])('decoding any bytes never throws', (bytes) => {
    const decoded = decodeMessage(Buffer.from(bytes))
    if (!isWireMessage(decoded)) expect(['not-ours', 'version', 'malformed']).toContain(decoded.reason)
  })

  test.prop([kind, id, id, fc.uint8Array({ maxLength: 20 })])(
    'every truncation of a message is rejected as malformed, never misread',
    (messageKind, publisher, someTarget, payload) => {
      const target = messageKind === MessageKind.All ? '' : someTarget
      const message = encodeMessage(messageKind, publisher, 1, 1, target, payload)
      const headerEnd = message.length - payload.length
      for (let length = 2; length < headerEnd; length++)
        expect(decodeMessage(message.subarray(0, length))).toEqual({ reason: 'malformed' })
    },
  )

  test('another version is reported with its number; other bytes as not ours', () => {
    const message = encodeMessage(MessageKind.All, 'node', 1, 1, '', new Uint8Array(4))
    for (const version of [0, 2, 255]) {
      message[1] = version
      expect(decodeMessage(message)).toEqual({ reason: 'version', version })
    }
    expect(decodeMessage(Buffer.from('{"json":true}'))).toEqual({ reason: 'not-ours' })
    expect(decodeMessage(Buffer.alloc(0))).toEqual({ reason: 'not-ours' })
  })

  test('a target on a message to all, or none on a group message, is malformed', () => {
    const group = encodeMessage(MessageKind.Group, 'node', 1, 1, 'room', new Uint8Array())
    group[2] = MessageKind.All
    expect(decodeMessage(group)).toEqual({ reason: 'malformed' })
    const all = encodeMessage(MessageKind.All, 'node', 1, 1, '', new Uint8Array())
    all[2] = MessageKind.Group
    expect(decodeMessage(all)).toEqual({ reason: 'malformed' })
  })

  test('isFrom recognises a publisher from the header bytes alone', () => {
    const message = encodeMessage(MessageKind.Group, 'node-1', 1, 1, 'room', new Uint8Array([1]))
    expect(isFrom(message, Buffer.from('node-1'))).toBe(true)
    expect(isFrom(message, Buffer.from('node-2'))).toBe(false)
    expect(isFrom(message, Buffer.from('node-'))).toBe(false)
    expect(isFrom(message, Buffer.from('node-10'))).toBe(false)
    expect(isFrom(message.subarray(0, 10), Buffer.from('node-1'))).toBe(false)
    const other = Buffer.from(message)
    other[1] = 2
    expect(isFrom(other, Buffer.from('node-1'))).toBe(false)
  })

  test('ids past the header limits are refused when encoding', () => {
    expect(() => encodeMessage(MessageKind.All, '', 1, 1, '', new Uint8Array())).toThrow(RangeError)
    expect(() => encodeMessage(MessageKind.All, 'x'.repeat(256), 1, 1, '', new Uint8Array())).toThrow(RangeError)
    expect(() => encodeMessage(MessageKind.Group, 'n', 1, 1, 'x'.repeat(65_536), new Uint8Array())).toThrow(RangeError)
  })
})

describe('sequence numbers', () => {
  test.prop([fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.boolean()), { maxLength: 200 })])(
    'the receiver counts exactly the messages lost between ones it saw (model: per-stream counters)',
    (events) => {
      const counters = new SequenceCounters()
      const tracker = new SequenceTracker()
      const seen = new Map<string, boolean>() // stream -> saw a message yet
      const lostSinceSeen = new Map<string, number>()
      let expected = 0
      let missed = 0
      for (const [stream, delivered] of events) {
        const sequence = counters.next(stream)
        if (!delivered) {
          if (seen.get(stream)) lostSinceSeen.set(stream, (lostSinceSeen.get(stream) ?? 0) + 1)
          continue
        }
        expected += lostSinceSeen.get(stream) ?? 0
        lostSinceSeen.set(stream, 0)
        seen.set(stream, true)
        missed += tracker.observe('publisher', stream, counters.epoch, sequence)
      }
      expect(missed).toBe(expected)
    },
  )

  test('a new epoch, a forgotten stream or publisher start afresh; repeats count nothing', () => {
    const tracker = new SequenceTracker()
    expect(tracker.observe('p', 'a', 1, 5)).toBe(0) // first message: baseline
    expect(tracker.observe('p', 'a', 1, 9)).toBe(3)
    expect(tracker.observe('p', 'a', 1, 9)).toBe(0)
    expect(tracker.observe('p', 'a', 1, 3)).toBe(0)
    expect(tracker.observe('p', 'a', 2, 1)).toBe(0) // the publisher restarted its counters
    expect(tracker.observe('p', 'a', 2, 3)).toBe(1)
    tracker.forgetStream('a')
    expect(tracker.observe('p', 'a', 2, 10)).toBe(0)
    tracker.forgetPublisher('p')
    expect(tracker.publishers).toBe(0)
    expect(tracker.observe('p', 'a', 2, 20)).toBe(0)
  })

  test('a publisher keeps at most `limit` streams: past it, every counter restarts under a new epoch', () => {
    const counters = new SequenceCounters(3)
    const first = counters.epoch
    expect([counters.next('a'), counters.next('a'), counters.next('b'), counters.next('c')]).toEqual([1, 2, 1, 1])
    expect(counters.epoch).toBe(first)
    expect(counters.next('d')).toBe(1)
    expect(counters.epoch).not.toBe(first)
    expect(counters.next('a')).toBe(1)
  })
})
