import { describe, expect, test } from 'vitest'
import { newSessionId, sessionKey } from '../src/session-id.js'

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('newSessionId', () => {
  test('makes random lower-case version 4 UUIDs, all different, across refills of its entropy', () => {
    const ids = new Set<string>()
    // 256 ids use up one fill: 1000 cross three refills.
    for (let count = 0; count < 1000; count++) {
      const id = newSessionId()
      expect(id).toMatch(uuidV4)
      ids.add(id)
    }
    expect(ids.size).toBe(1000)
  })

  test('every hex digit appears at every random position (no digit stuck)', () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>())
    for (let count = 0; count < 2000; count++) {
      const id = newSessionId()
      for (let index = 0; index < 36; index++) seen[index]?.add(id[index] as string)
    }
    for (let index = 0; index < 36; index++) {
      const expected = [8, 13, 18, 23].includes(index) ? 1 : index === 14 ? 1 : index === 19 ? 4 : 16
      expect(seen[index]?.size, `position ${index}`).toBe(expected)
    }
  })

  test('returns a string that does not change when the next id is made', () => {
    const first = newSessionId()
    const copy = `${first}`
    newSessionId()
    expect(first).toBe(copy)
  })
})

describe('sessionKey', () => {
  test('is the id itself when it is lower case already (no new string), else its lower case', () => {
    const id = newSessionId()
    expect(sessionKey(id)).toBe(id)
    expect(sessionKey('127.0.0.1:5000')).toBe('127.0.0.1:5000')
    expect(sessionKey('Player-42')).toBe('player-42')
    expect(sessionKey('ABC')).toBe('abc')
    expect(sessionKey('straße-É')).toBe('straße-é')
    expect(sessionKey('')).toBe('')
  })
})
