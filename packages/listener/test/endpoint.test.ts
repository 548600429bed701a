import { listenAddressAliases } from '@socketlite/socket-base'
import { expect, onTestFinished, test } from 'vitest'
import { endPointOf, TcpSocketListener, UdpSocketListener } from '../src/index.js'

test('endPointOf makes a frozen endpoint and normalises the family', () => {
  const v4 = endPointOf({ address: '127.0.0.1', port: 80, family: 'IPv4' })
  expect(v4).toEqual({ address: '127.0.0.1', port: 80, family: 'IPv4' })
  expect(Object.isFrozen(v4)).toBe(true)
  expect(endPointOf({ address: '::1', port: 1, family: 'IPv6' }).family).toBe('IPv6')
  expect(endPointOf({ address: '::1', port: 1, family: 6 as unknown as string }).family).toBe('IPv6')
})

test("both listeners take SuperSocket's wildcard names from socket-base's one table", async () => {
  const tcp = new TcpSocketListener({ ip: 'Any', port: 0 })
  onTestFinished(() => tcp.stop())
  expect((await tcp.start()).address).toBe(listenAddressAliases.Any)
  const udp = new UdpSocketListener({ ip: 'Any', port: 0 })
  onTestFinished(() => udp.stop())
  expect((await udp.start()).address).toBe(listenAddressAliases.Any)
})
