import { expect, test } from 'vitest'
import { endPointOf, resolveListenAddress } from '../src/index.js'

test('resolveListenAddress translates SuperSocket names and keeps literals', () => {
  expect(resolveListenAddress('Any')).toBe('0.0.0.0')
  expect(resolveListenAddress('IPv6Any')).toBe('::')
  expect(resolveListenAddress('127.0.0.1')).toBe('127.0.0.1')
  expect(resolveListenAddress('::1')).toBe('::1')
})

test('endPointOf makes a frozen endpoint and normalises the family', () => {
  const v4 = endPointOf({ address: '127.0.0.1', port: 80, family: 'IPv4' })
  expect(v4).toEqual({ address: '127.0.0.1', port: 80, family: 'IPv4' })
  expect(Object.isFrozen(v4)).toBe(true)
  expect(endPointOf({ address: '::1', port: 1, family: 'IPv6' }).family).toBe('IPv6')
  expect(endPointOf({ address: '::1', port: 1, family: 6 as unknown as string }).family).toBe('IPv6')
})
