import { describe, expect, test } from 'vitest'
import { evaluateThresholds } from '../src/index.js'

const measured = { p99Ms: 4.2, messagesPerSecond: 10_000, errors: 3, messages: 50_000 }

describe('evaluateThresholds', () => {
  test('no thresholds: only the messages check, which passes when something completed', () => {
    expect(evaluateThresholds(measured, {})).toEqual([
      { name: 'messages', limit: 1, actual: 50_000, passed: true, description: '50000 messages completed' },
    ])
  })

  test('each threshold passes at its limit and fails past it', () => {
    const atLimit = evaluateThresholds(measured, { maxP99: 4.2, minRate: 10_000, maxErrors: 3 })
    expect(atLimit.map((check) => [check.name, check.passed])).toEqual([
      ['max-p99', true],
      ['min-rate', true],
      ['max-errors', true],
      ['messages', true],
    ])
    const past = evaluateThresholds(measured, { maxP99: 4.1, minRate: 10_001, maxErrors: 2 })
    expect(past.filter((check) => !check.passed).map((check) => check.name)).toEqual([
      'max-p99',
      'min-rate',
      'max-errors',
    ])
    expect(past[0]).toMatchObject({ limit: 4.1, actual: 4.2, description: 'p99 4.2 ms > 4.1 ms' })
  })

  test('a run that completed nothing fails, and cannot pass a p99 limit with an empty histogram', () => {
    const checks = evaluateThresholds({ p99Ms: 0, messagesPerSecond: 0, errors: 10, messages: 0 }, { maxP99: 5 })
    expect(checks.map((check) => check.passed)).toEqual([false, false])
  })
})
