import { describe, expect, test } from 'vitest'
import { defaultFraming, LoadOptionError, type LoadOptions, loadDefaults, resolveLoadOptions } from '../src/index.js'

function optionOf(options: LoadOptions): string | undefined {
  try {
    resolveLoadOptions(options)
  } catch (error) {
    expect(LoadOptionError.isLoadOptionError(error)).toBe(true)
    return (error as LoadOptionError).option
  }
  return undefined
}

describe('resolveLoadOptions', () => {
  test('defaults', () => {
    const resolved = resolveLoadOptions({ target: '127.0.0.1:7000' })
    expect(resolved).toMatchObject({
      target: { transport: 'tcp', host: '127.0.0.1', port: 7000 },
      connections: loadDefaults.connections,
      connectRate: loadDefaults.connectRate,
      connectTimeout: loadDefaults.timeout,
      duration: 10_000,
      warmup: 0,
      model: 'closed',
      pipeline: 1,
      rate: undefined,
      message: undefined,
      size: 32,
      insecure: false,
      timeout: 5000,
      workers: 1,
    })
    expect(resolved.framing).toEqual(defaultFraming)
    expect(defaultFraming).toMatchObject({
      protocol: 'line',
      lengthFieldLength: 4,
      byteOrder: 'be',
      count: 8,
      spliter: 0x23,
    })
  })

  test('a rate selects the open model; the connect timeout follows the timeout', () => {
    const resolved = resolveLoadOptions({ target: 'udp://[::1]:9', rate: 5000, timeout: 200 })
    expect(resolved).toMatchObject({ model: 'open', rate: 5000, connectTimeout: 200 })
  })

  test('strings become bytes; a one-byte spliter string becomes its byte; workers never exceed connections', () => {
    const resolved = resolveLoadOptions({
      target: 'tcp://127.0.0.1:1',
      message: 'hé',
      terminator: '##',
      spliter: '|',
      connections: 3,
      workers: 8,
    })
    expect([...(resolved.message ?? [])]).toEqual([0x68, 0xc3, 0xa9])
    expect(resolved.size).toBe(3)
    expect([...resolved.framing.terminator]).toEqual([0x23, 0x23])
    expect(resolved.framing.spliter).toBe(0x7c)
    expect(resolved.workers).toBe(3)
  })

  test.each<[LoadOptions, string]>([
    [{ target: 'nope' }, 'target'],
    [{ target: '127.0.0.1:1', connections: 0 }, 'connections'],
    [{ target: '127.0.0.1:1', connections: 1.5 }, 'connections'],
    [{ target: '127.0.0.1:1', pipeline: 0 }, 'pipeline'],
    [{ target: '127.0.0.1:1', pipeline: 4, rate: 100 }, 'rate'],
    [{ target: '127.0.0.1:1', rate: 0 }, 'rate'],
    [{ target: '127.0.0.1:1', duration: 0 }, 'duration'],
    [{ target: '127.0.0.1:1', warmup: -1 }, 'warmup'],
    [{ target: '127.0.0.1:1', timeout: 0 }, 'timeout'],
    [{ target: '127.0.0.1:1', message: 'x', size: 4 }, 'size'],
    [{ target: '127.0.0.1:1', message: '' }, 'message'],
    [{ target: '127.0.0.1:1', size: 0 }, 'size'],
    [{ target: '127.0.0.1:1', spliter: '##' }, 'spliter'],
    [{ target: '127.0.0.1:1', count: 1 }, 'count'],
    [{ target: '127.0.0.1:1', workers: 0 }, 'workers'],
    [{ target: '127.0.0.1:1', connectRate: -1 }, 'connect-rate'],
    [{ target: '127.0.0.1:1', thresholds: { maxErrors: -1 } }, 'max-errors'],
    [{ target: '127.0.0.1:1', servername: '' }, 'servername'],
  ])('%j is refused, naming %s', (options, option) => {
    expect(optionOf(options)).toBe(option)
  })
})
