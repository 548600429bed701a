import type { ServerStats } from '@socketlite/app-server'

/** One sample of a metric read from `getStats()`: its labels and its value. */
export type StatSample = readonly [labels: Readonly<Record<string, string>>, value: number]

/**
 * A metric whose value is read from `server.getStats()` when the registry is scraped: the server counts as it always
 * does, and nothing runs between scrapes. To export a new field of `getStats()`, add one row to
 * {@link statMetrics} (the test "every getStats() field is exported" fails until a row names it).
 */
export interface StatMetric {
  /** The metric's name, without the prefix. Counters end in `_total`. */
  readonly name: string
  readonly help: string
  /** `counter` for counts since the server was constructed, `gauge` for values that go up and down. */
  readonly type: 'counter' | 'gauge'
  readonly labelNames: readonly string[]
  /** The `getStats()` fields it reads, as dotted paths; a path covers every field under it. */
  readonly fields: readonly string[]
  /**
   * How prom-client's `AggregatorRegistry` combines it across cluster workers.
   * @default 'sum'
   */
  readonly aggregator?: 'sum' | 'first' | 'min' | 'max' | 'average' | 'omit'
  /** Its value, or one value per label set. */
  readonly read: (stats: ServerStats) => number | readonly StatSample[]
}

/** `getStats()` fields that other metrics export per listener, from the server's events and its sessions. */
export const fieldsExportedPerListener: readonly string[] = ['sessions', 'accepted', 'closed']

const counter = (name: string, help: string, field: string, read: (stats: ServerStats) => number): StatMetric => ({
  name,
  help,
  type: 'counter',
  labelNames: [],
  fields: [field],
  read,
})

/** The metrics read from `getStats()` (server-wide: the server does not count these per listener). */
export const statMetrics: readonly StatMetric[] = [
  {
    name: 'connections_rejected_total',
    help: 'Connections refused before they became sessions (no session events), by cause: maxConnectionNumber, maxConnectionsPerIp, connectionFilter, acceptError, notRunning, handshake.',
    type: 'counter',
    labelNames: ['cause'],
    fields: ['rejected'],
    read: (stats) =>
      Object.entries(stats.rejected)
        .filter(([cause]) => cause !== 'total')
        .map(([cause, count]): StatSample => [{ cause }, count]),
  },
  counter(
    'requests_total',
    'Requests dispatched to a command or to the newRequestReceived listeners.',
    'requests',
    (stats) => stats.requests,
  ),
  counter('received_bytes_total', 'Bytes received from peers.', 'bytesIn', (stats) => stats.bytesIn),
  counter(
    'sent_bytes_total',
    'Bytes accepted for sending by trySend, send and broadcast.',
    'bytesOut',
    (stats) => stats.bytesOut,
  ),
  counter(
    'try_send_refused_total',
    'trySend (and broadcast) calls refused: the session was closing or closed, or its sending queue had no room.',
    'trySendRefused',
    (stats) => stats.trySendRefused,
  ),
  counter(
    'send_timeouts_total',
    'send calls that failed with SendTimeoutError (no room in the sending queue within sendTimeOut).',
    'sendTimeouts',
    (stats) => stats.sendTimeouts,
  ),
  counter(
    'listener_errors_total',
    'Listener-level errors (e.g. accept failing with EMFILE).',
    'listenerErrors',
    (stats) => stats.listenerErrors,
  ),
  counter(
    'datagrams_dropped_total',
    'UDP datagrams dropped without being parsed (session queue full, session closing, or peer refused).',
    'datagramsDropped',
    (stats) => stats.datagramsDropped,
  ),
  counter(
    'datagram_errors_total',
    'UDP datagrams that did not parse, or named no session, and were dropped whole.',
    'datagramErrors',
    (stats) => stats.datagramErrors,
  ),
  {
    name: 'send_pool_chunks',
    help: 'Chunks the send pool (the bounded pool small replies are coalesced into) has made and keeps now.',
    type: 'gauge',
    labelNames: [],
    fields: ['sendPool.chunks'],
    read: (stats) => stats.sendPool.chunks,
  },
  {
    name: 'send_pool_chunks_in_use',
    help: 'Send pool chunks held by sessions now (for replies not yet written).',
    type: 'gauge',
    labelNames: [],
    fields: ['sendPool.inUse'],
    read: (stats) => stats.sendPool.inUse,
  },
  {
    name: 'send_pool_max_chunks',
    help: 'The most chunks the send pool keeps.',
    type: 'gauge',
    labelNames: [],
    fields: ['sendPool.maxChunks'],
    read: (stats) => stats.sendPool.maxChunks,
  },
  {
    name: 'send_pool_chunk_bytes',
    help: 'The size of one send pool chunk, in bytes.',
    type: 'gauge',
    labelNames: [],
    fields: ['sendPool.chunkSize'],
    aggregator: 'first', // the same in every worker
    read: (stats) => stats.sendPool.chunkSize,
  },
  counter(
    'send_pool_overflows_total',
    'Chunks a session had to make itself because every pooled chunk was in use.',
    'sendPool.overflows',
    (stats) => stats.sendPool.overflows,
  ),
]
