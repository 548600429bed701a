import { expect, test } from 'vitest'
import { type EndPoint, formatEndPoint } from '../src/index.js'

test.each([
  [{ address: '127.0.0.1', port: 5000 }, '127.0.0.1:5000'],
  [{ address: '0.0.0.0', port: 0 }, '0.0.0.0:0'],
  [{ address: '::1', port: 5000 }, '[::1]:5000'],
  [{ address: '::', port: 65535 }, '[::]:65535'],
  [{ address: 'fe80::1%eth0', port: 80 }, '[fe80::1%eth0]:80'],
  [{ address: '::ffff:127.0.0.1', port: 2020 }, '[::ffff:127.0.0.1]:2020'],
])('formatEndPoint(%o) is %s', (endPoint, expected) => {
  expect(formatEndPoint(endPoint)).toBe(expected)
})

test('formatEndPoint accepts a full EndPoint (family is not needed to format)', () => {
  const endPoint: EndPoint = { address: '::1', port: 1, family: 'IPv6' }
  expect(formatEndPoint(endPoint)).toBe('[::1]:1')
})
