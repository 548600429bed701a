import { afterEach, describe, expect, test, vi } from 'vitest'
import { ConsoleLogFactory, type LogLevel, ProtocolError, SocketError, silentLogFactory } from '../src/index.js'

function capture(level?: LogLevel) {
  const lines: string[] = []
  const factory = new ConsoleLogFactory({
    ...(level === undefined ? {} : { level }),
    console: { error: (line) => lines.push(line) },
  })
  return { lines, logger: factory.getLogger('echo') }
}

function writeAll(logger: ReturnType<typeof capture>['logger']): void {
  logger.debug('d')
  logger.info('i')
  logger.warn('w')
  logger.error('e')
}

const linePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (DEBUG|INFO |WARN |ERROR) echo: (\S+)$/

afterEach(() => {
  vi.restoreAllMocks()
})

describe('ConsoleLogFactory', () => {
  test.each([
    [undefined, ['i', 'w', 'e']],
    ['debug', ['d', 'i', 'w', 'e']],
    ['info', ['i', 'w', 'e']],
    ['warn', ['w', 'e']],
    ['error', ['e']],
    ['silent', []],
  ] as const)('level %s writes %j', (level, expected) => {
    const { lines, logger } = capture(level)
    writeAll(logger)
    expect(lines.map((line) => linePattern.exec(line)?.[2])).toEqual(expected)
  })

  test.each([
    ['debug', [true, true, true, true]],
    ['info', [false, true, true, true]],
    ['warn', [false, false, true, true]],
    ['error', [false, false, false, true]],
    ['silent', [false, false, false, false]],
  ] as const)('isLevelEnabled at level %s', (level, expected) => {
    const { logger } = capture(level)
    expect((['debug', 'info', 'warn', 'error'] as const).map((name) => logger.isLevelEnabled(name))).toEqual(expected)
  })

  test('a line is: ISO time, padded level, logger name, message, then key=value fields', () => {
    const { lines, logger } = capture('debug')
    logger.info('session connected', { sessionId: 'abc', port: 2020, remote: { address: '127.0.0.1' } })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^\d{4}-\d{2}-\d{2}T[\d:.]+Z INFO {2}echo: session connected sessionId=abc port=2020 remote=\{"address":"127.0.0.1"\}$/,
    )
    logger.debug('x')
    expect(lines[1]).toMatch(/Z DEBUG echo: x$/)
  })

  test('an error field shows its class, its code when it has one, and its message', () => {
    const { lines, logger } = capture()
    logger.error('closing', { err: new ProtocolError('frame too large', { code: 'ERR_REQUEST_TOO_LARGE' }) })
    logger.error('closing', { err: new TypeError('plain') })
    expect(lines[0]).toMatch(/ err=ProtocolError\[ERR_REQUEST_TOO_LARGE\]: frame too large$/)
    expect(lines[1]).toMatch(/ err=TypeError: plain$/)
  })

  test('fields that JSON cannot show are written with String()', () => {
    const { lines, logger } = capture()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    logger.info('m', { big: 10n, circular, nothing: undefined, fn: () => 1 })
    expect(lines[0]).toMatch(/ big=10 circular=\[object Object\] nothing=undefined fn=\(\) => 1$/)
  })

  test('every level goes to console.error by default (stdout stays free for the program)', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const logger = new ConsoleLogFactory({ level: 'debug' }).getLogger('default-sink')
    writeAll(logger)
    expect(error).toHaveBeenCalledTimes(4)
    expect(log).not.toHaveBeenCalled()
    expect(String(error.mock.calls[0]?.[0])).toContain('default-sink: d')
  })

  test('an unknown level is refused with ERR_INVALID_ARGUMENT instead of logging everything', () => {
    let thrown: unknown
    try {
      new ConsoleLogFactory({ level: 'warning' as LogLevel })
    } catch (error) {
      thrown = error
    }
    expect(SocketError.isSocketError(thrown) && thrown.code).toBe('ERR_INVALID_ARGUMENT')
  })

  test('loggers of one factory share its level and sink, each with its own name', () => {
    const lines: string[] = []
    const factory = new ConsoleLogFactory({ level: 'warn', console: { error: (line) => lines.push(line) } })
    factory.getLogger('a').warn('one')
    factory.getLogger('b').info('hidden')
    factory.getLogger('b').error('two')
    expect(lines.map((line) => line.replace(/^\S+ /, ''))).toEqual(['WARN  a: one', 'ERROR b: two'])
  })
})

describe('silentLogFactory', () => {
  test('writes nothing at any level and reports every level disabled', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const logger = silentLogFactory.getLogger('quiet')
    writeAll(logger)
    logger.error('with fields', { err: new Error('x') })
    expect(error).not.toHaveBeenCalled()
    expect((['debug', 'info', 'warn', 'error'] as const).some((level) => logger.isLevelEnabled(level))).toBe(false)
  })
})
