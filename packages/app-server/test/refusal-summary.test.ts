import type { LogFields, Logger } from '@socketlite/socket-base'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { RefusalSummary } from '../src/refusal-summary.js'

interface Line {
  readonly level: string
  readonly message: string
  readonly fields: LogFields | undefined
  /** Fake time of the line (ms since the test began). */
  readonly at: number
}

function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = []
  const started = Date.now()
  const write =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields, at: Date.now() - started })
    }
  return {
    lines,
    logger: {
      isLevelEnabled: () => true,
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
    },
  }
}

const limit = 'Connection refused: limit reached'

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('RefusalSummary', () => {
  test('logs the first refusal of a kind at once, as is', () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    refusals.refuse(limit, { remote: '10.0.0.1:5000', limit: 'maxConnectionNumber' })
    expect(lines).toEqual([
      { level: 'warn', message: limit, fields: { remote: '10.0.0.1:5000', limit: 'maxConnectionNumber' }, at: 0 },
    ])
  })

  test('counts the following ones and writes one summary line per kind every 10 s, with counts and sources', async () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    refusals.refuse(limit, { remote: '10.0.0.1:1' })
    // 10 000 refusals over 25 s from 7 addresses: 3 lines so far, not 10 000.
    for (let index = 0; index < 10_000; index += 1) {
      refusals.refuse(limit, { remote: `10.0.0.${index % 7}` })
      await vi.advanceTimersByTimeAsync(2.5)
    }
    expect(lines.map((line) => line.at)).toEqual([0, 10_000, 20_000])
    const [, first, second] = lines
    expect(first?.message).toBe(`${limit} (4000 more in the last 10 s, from 7 sources; the latest:)`)
    expect(first?.fields).toMatchObject({ count: 4_000, sources: 7 })
    expect(second?.fields).toMatchObject({ count: 4_000, sources: 7 })
    // The rest (2000 refusals) comes at the end of the third period.
    await vi.advanceTimersByTimeAsync(5_000)
    expect(lines).toHaveLength(4)
    expect(lines[3]?.fields).toMatchObject({ count: 2_000 })
    const counted = lines.slice(1).reduce((sum, line) => sum + ((line.fields?.count as number) ?? 0), 0)
    expect(counted + 1).toBe(10_001)
  })

  test('never writes two lines of one kind less than 10 s apart, whatever the timing', async () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    // Bursts at irregular times over two minutes.
    let time = 0
    for (const gap of [0, 9_999, 1, 15_000, 3, 9_990, 20_000, 1, 1, 10_000, 10_001, 7_000, 7_000, 7_000]) {
      await vi.advanceTimersByTimeAsync(gap)
      time += gap
      for (let index = 0; index < 5; index += 1) refusals.refuse(limit, { remote: 'a' })
    }
    await vi.advanceTimersByTimeAsync(30_000)
    const times = lines.map((line) => line.at)
    for (let index = 1; index < times.length; index += 1) {
      expect((times[index] as number) - (times[index - 1] as number)).toBeGreaterThanOrEqual(10_000)
    }
    const total = lines.reduce((sum, line) => sum + ((line.fields?.count as number | undefined) ?? 1), 0)
    const firstLines = lines.filter((line) => line.fields?.count === undefined).length
    // Every refusal is accounted for: each first line stands for one, each summary for its count.
    expect(total).toBe(14 * 5)
    expect(firstLines).toBeGreaterThanOrEqual(1)
    expect(time).toBeGreaterThan(90_000)
  })

  test('after a quiet period the next refusal is logged at once again', async () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    refusals.refuse(limit)
    await vi.advanceTimersByTimeAsync(10_000) // nothing counted: no summary line, the period ends
    expect(lines).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(60_000)
    refusals.refuse(limit, { remote: 'b' })
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ message: limit, fields: { remote: 'b' }, at: 70_000 })
  })

  test('kinds are independent: each has its own first line and its own period', async () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    refusals.refuse(limit)
    await vi.advanceTimersByTimeAsync(4_000)
    refusals.refuse('Malformed datagram dropped', { remote: 'x' })
    refusals.refuse('Malformed datagram dropped', { remote: 'y' })
    refusals.refuse('TLS handshake failed', undefined, 'info')
    refusals.refuse(limit)
    expect(lines.map((line) => [line.message, line.at])).toEqual([
      [limit, 0],
      ['Malformed datagram dropped', 4_000],
      ['TLS handshake failed', 4_000],
    ])
    expect(lines[2]?.level).toBe('info')
    await vi.advanceTimersByTimeAsync(6_000)
    expect(lines.at(-1)).toMatchObject({ at: 10_000, fields: { count: 1 } })
    await vi.advanceTimersByTimeAsync(4_000)
    expect(lines.at(-1)).toMatchObject({ at: 14_000, fields: { remote: 'y', count: 1, sources: 1 } })
    expect(lines).toHaveLength(5)
  })

  test('distinct sources are counted up to maxSources, then "at least"', async () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger, maxSources: 10 })
    refusals.refuse(limit, { remote: 'first' })
    for (let index = 0; index < 50; index += 1) refusals.refuse(limit, { remote: `10.1.0.${index}` })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(lines[1]?.message).toContain('from at least 10 sources')
    expect(lines[1]?.fields).toMatchObject({ count: 50, sources: '>=10', remote: '10.1.0.49' })
  })

  test('flush writes what is counted at once and starts afresh; nothing is left to write after it', async () => {
    const { logger, lines } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    refusals.refuse(limit)
    refusals.refuse(limit)
    refusals.refuse(limit)
    refusals.refuse('Malformed datagram dropped') // counted: nothing
    await vi.advanceTimersByTimeAsync(3_000)
    expect(refusals.pendingKinds).toBe(1)
    refusals.flush()
    expect(lines.map((line) => line.message)).toEqual([
      limit,
      'Malformed datagram dropped',
      `${limit} (2 more in the last 3 s; the latest:)`,
    ])
    expect(refusals.pendingKinds).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(lines).toHaveLength(3)
    refusals.refuse(limit)
    expect(lines).toHaveLength(4) // logged at once: the flush closed the period
  })

  test('its timers never keep the process alive', () => {
    vi.useRealTimers()
    const { logger } = recordingLogger()
    const refusals = new RefusalSummary({ logger })
    const timers: NodeJS.Timeout[] = []
    const original = globalThis.setTimeout
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((...args: Parameters<typeof original>) => {
      const timer = original(...args)
      timers.push(timer)
      return timer
    }) as typeof setTimeout)
    try {
      refusals.refuse(limit)
      refusals.refuse('Malformed datagram dropped')
    } finally {
      spy.mockRestore()
    }
    expect(timers).toHaveLength(2)
    for (const timer of timers) expect(timer.hasRef()).toBe(false)
    refusals.flush()
  })

  test('a logger that throws does not make refuse throw', () => {
    const throwing: Logger = {
      isLevelEnabled: () => true,
      debug() {},
      info() {
        throw new Error('sink down')
      },
      warn() {
        throw new Error('sink down')
      },
      error() {},
    }
    const refusals = new RefusalSummary({ logger: throwing })
    expect(() => refusals.refuse(limit)).not.toThrow()
    refusals.refuse(limit)
    expect(() => refusals.flush()).not.toThrow()
  })
})
