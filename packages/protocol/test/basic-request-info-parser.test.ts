import { fc, test } from '@fast-check/vitest'
import { SocketError } from '@socketlite/socket-base'
import { describe, expect } from 'vitest'
import { BasicRequestInfoParser, StringRequestInfo } from '../src/index.js'

describe('BasicRequestInfoParser', () => {
  const parser = new BasicRequestInfoParser()

  test.each([
    ['ECHO hello world', 'ECHO', 'hello world', ['hello', 'world']],
    ['ADD  1 2', 'ADD', ' 1 2', ['1', '2']],
    [' ADD 1', ' ADD 1', '', []],
    ['PING', 'PING', '', []],
    ['', '', '', []],
  ])('parses %j as API.md says', (line, key, body, parameters) => {
    const request = parser.parse(line)
    expect(request).toBeInstanceOf(StringRequestInfo)
    expect({ key: request.key, body: request.body, parameters: request.parameters }).toEqual({ key, body, parameters })
  })

  test('uses custom spliters', () => {
    const request = new BasicRequestInfoParser(':', ',').parse('SET:a,,b, c')
    expect([request.key, request.body, request.parameters]).toEqual(['SET', 'a,,b, c', ['a', 'b', ' c']])
    const multi = new BasicRequestInfoParser('::', '||').parse('K::x||y')
    expect([multi.key, multi.body, multi.parameters]).toEqual(['K', 'x||y', ['x', 'y']])
  })

  test('rejects empty spliters', () => {
    for (const make of [() => new BasicRequestInfoParser(''), () => new BasicRequestInfoParser(' ', '')]) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
      try {
        make()
      } catch (error) {
        expect(SocketError.isSocketError(error)).toBe(true)
      }
    }
  })

  test.prop([fc.string({ unit: fc.constantFrom('a', 'b', ' ') })])(
    'key, spliter and body give the line back',
    (line) => {
      const request = parser.parse(line)
      if (line.indexOf(' ') > 0) expect(`${request.key} ${request.body}`).toBe(line)
      else expect([request.key, request.body]).toEqual([line, ''])
      expect(request.key.indexOf(' ') <= 0).toBe(true)
      expect(request.parameters).toEqual(request.body.split(' ').filter((part) => part !== ''))
      expect(request.getFirstParam()).toBe(request.parameters[0] ?? '')
    },
  )
})
