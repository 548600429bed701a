import { describe, expect, test } from 'vitest'
import { CloseReason, closeReasonName, FilterState, ServerState, serverStateName } from '../src/index.js'

describe('CloseReason', () => {
  test("has SuperSocket's values", () => {
    expect(CloseReason).toEqual({
      Unknown: 0,
      ServerShutdown: 1,
      ClientClosing: 2,
      ServerClosing: 3,
      ApplicationError: 4,
      SocketError: 5,
      TimeOut: 6,
      ProtocolError: 7,
      InternalError: 8,
    })
  })

  test.each(Object.entries(CloseReason))('closeReasonName(%s = %i) gives its name', (name, value) => {
    expect(closeReasonName(value)).toBe(name)
  })

  test.each([-1, 9, 100, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -0.5])(
    'closeReasonName(%s), not a close reason, gives Unknown',
    (value) => {
      expect(closeReasonName(value)).toBe('Unknown')
    },
  )

  test('closeReasonName gives Unknown for non-numbers from untyped callers (array keys, prototype names, strings)', () => {
    for (const value of ['length', 'constructor', '__proto__', '3', null, undefined, {}]) {
      expect(closeReasonName(value as unknown as number)).toBe('Unknown')
    }
  })
})

describe('ServerState', () => {
  test("has SuperSocket's values", () => {
    expect(ServerState).toEqual({
      NotInitialized: 0,
      Initializing: 1,
      NotStarted: 2,
      Starting: 3,
      Running: 4,
      Stopping: 5,
    })
  })

  test.each(Object.entries(ServerState))('serverStateName(%s = %i) gives its name', (name, value) => {
    expect(serverStateName(value)).toBe(name)
  })

  test.each([-1, 6, 2.5, Number.NaN])('serverStateName(%s), not a state, gives Unknown', (value) => {
    expect(serverStateName(value)).toBe('Unknown')
  })
})

test('FilterState is Normal 0, Error 1', () => {
  expect(FilterState).toEqual({ Normal: 0, Error: 1 })
})

test('each constant object is a plain object whose values are distinct', () => {
  for (const constants of [CloseReason, ServerState, FilterState]) {
    expect(Object.getPrototypeOf(constants)).toBe(Object.prototype)
    expect(new Set(Object.values(constants)).size).toBe(Object.keys(constants).length)
  }
})
