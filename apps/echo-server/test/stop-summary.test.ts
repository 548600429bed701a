import type { Logger, ServerStats } from '@socketlite/app-server'
import { describe, expect, test } from 'vitest'
import { formatStopSummary, logStopped } from '../src/index.js'

const quiet: ServerStats = {
  sessions: 0,
  accepted: 12,
  pendingHandshakes: 0,
  rejected: {
    total: 0,
    maxConnectionNumber: 0,
    maxConnectionsPerIp: 0,
    connectionFilter: 0,
    acceptError: 0,
    notRunning: 0,
    handshake: 0,
    maxPendingHandshakes: 0,
  },
  closed: {
    Unknown: 0,
    ServerShutdown: 10,
    ClientClosing: 2,
    ServerClosing: 0,
    ApplicationError: 0,
    SocketError: 0,
    TimeOut: 0,
    ProtocolError: 0,
    InternalError: 0,
  },
  requests: 1_234_567,
  bytesIn: 42 * 1024 * 1024,
  bytesOut: 42 * 1024 * 1024,
  trySendRefused: 0,
  sendTimeouts: 0,
  handlerTimeouts: 0,
  frameTimeouts: 0,
  sendStalls: 0,
  dispatchYields: 0,
  listenerErrors: 0,
  datagramsDropped: 0,
  datagramErrors: 0,
  sendPool: { chunkSize: 16_384, maxChunks: 2_048, chunks: 4, inUse: 0, overflows: 0 },
  cluster: {
    connected: true,
    published: 0,
    received: 0,
    missed: 0,
    dropped: 0,
    subscriptions: 0,
    reconnects: 0,
    unavailable: 0,
  },
}

function recordingLogger(): Logger & { lines: { level: string; message: string; fields?: object }[] } {
  const lines: { level: string; message: string; fields?: object }[] = []
  const log =
    (level: string) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      lines.push({ level, message, ...(fields === undefined ? {} : { fields }) })
    }
  return {
    lines,
    isLevelEnabled: () => true,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  }
}

describe('the stop summary', () => {
  test('one line: run time, sessions, requests, bytes, the close reasons that happened', () => {
    expect(formatStopSummary(quiet, 65_000)).toBe(
      'Stopped after 65.0 s: 12 sessions, 1,234,567 requests, 42.0 MiB in, 42.0 MiB out; closed: 10 ServerShutdown, 2 ClientClosing',
    )
  })

  test('trouble counters appear only when they are not zero', () => {
    const troubled: ServerStats = {
      ...quiet,
      accepted: 1,
      requests: 1,
      bytesIn: 10,
      bytesOut: 2048,
      rejected: { ...quiet.rejected, total: 3, maxConnectionNumber: 2, handshake: 1 },
      trySendRefused: 4,
      sendTimeouts: 1,
    }
    expect(formatStopSummary(troubled, 800)).toBe(
      'Stopped after 800 ms: 1 session, 1 request, 10 B in, 2.0 KiB out; closed: 10 ServerShutdown, 2 ClientClosing; ' +
        'rejected 3 (2 maxConnectionNumber, 1 handshake); 4 sends refused; 1 send timeout',
    )
  })

  test('pretty logs: the summary at info, the statistics at debug; JSON logs: one line with both', () => {
    const pretty = recordingLogger()
    logStopped(pretty, quiet, 1000, true)
    expect(pretty.lines.map((line) => line.level)).toEqual(['info', 'debug'])
    expect(pretty.lines[0]?.fields).toBeUndefined()
    expect(pretty.lines[1]?.fields).toMatchObject({ requests: 1_234_567 })
    const json = recordingLogger()
    logStopped(json, quiet, 1000, false)
    expect(json.lines).toHaveLength(1)
    expect(json.lines[0]).toMatchObject({ level: 'info', fields: { requests: 1_234_567, accepted: 12 } })
    expect(json.lines[0]?.message).toMatch(/^Stopped after 1\.0 s: 12 sessions/)
  })
})
