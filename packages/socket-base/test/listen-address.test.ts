import { expect, test } from 'vitest'
import { listenAddressAliases, resolveListenAddress } from '../src/index.js'

test("SuperSocket's wildcard names: 'Any' is 0.0.0.0 and 'IPv6Any' is ::", () => {
  expect(listenAddressAliases).toStrictEqual({ Any: '0.0.0.0', IPv6Any: '::' })
  expect(Object.isFrozen(listenAddressAliases)).toBe(true)
  expect(resolveListenAddress('Any')).toBe('0.0.0.0')
  expect(resolveListenAddress('IPv6Any')).toBe('::')
})

test('any other address is returned unchanged (names are case-sensitive; no prototype keys)', () => {
  for (const ip of ['127.0.0.1', '::1', 'any', 'ANY', 'ipv6any', '', 'toString', '__proto__', 'constructor']) {
    expect(resolveListenAddress(ip)).toBe(ip)
  }
})
