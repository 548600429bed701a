import type { RequestInfo } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import { BinaryRequestInfo, StringRequestInfo, UdpRequestInfo } from '../src/index.js'

describe('request types', () => {
  test('StringRequestInfo gives parameters by index and the first one with a default', () => {
    const request = new StringRequestInfo('ADD', '1 2', ['1', '2'])
    expect(request.getFirstParam()).toBe('1')
    expect(request.get(1)).toBe('2')
    expect(request.get(2)).toBeUndefined()
    expect(new StringRequestInfo('PING', '', []).getFirstParam()).toBe('')
  })

  test('BinaryRequestInfo has a header only when given one', () => {
    const withHeader = new BinaryRequestInfo('', Buffer.from('body'), Buffer.from('h'))
    expect(withHeader.header?.toString()).toBe('h')
    const without = new BinaryRequestInfo('k', Buffer.alloc(0))
    expect('header' in without).toBe(false)
    expect(without.body.length).toBe(0)
  })

  test('UdpRequestInfo is subclassable and keeps key and session id', () => {
    class ChatDatagram extends UdpRequestInfo {
      readonly text: string
      constructor(key: string, sessionId: string, text: string) {
        super(key, sessionId)
        this.text = text
      }
    }
    const request: RequestInfo = new ChatDatagram('SAY', 'b1f0', 'hi')
    expect(request).toBeInstanceOf(UdpRequestInfo)
    expect(request).toMatchObject({ key: 'SAY', sessionId: 'b1f0', text: 'hi' })
  })
})
