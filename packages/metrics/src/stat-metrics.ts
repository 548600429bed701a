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
    help: 'Connections refused before they became sessions (no session events), by cause: maxConnectionNumber, maxConnectionsPerIp, connectionFilter, acceptError, notRunning, handshake, maxPendingHandshakes.',
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
    'handler_timeouts_total',
    'Handlers given up on by handlerTimeOut (their sessions closed with ApplicationError).',
    'handlerTimeouts',
    (stats) => stats.handlerTimeouts,
  ),
  counter(
    'frame_timeouts_total',
    'Sessions closed because a started frame did not complete within frameTimeOut.',
    'frameTimeouts',
    (stats) => stats.frameTimeouts,
  ),
  counter(
    'send_stalls_total',
    'Sessions closed because their sending queue made no progress within sendStallTimeOut (a peer that does not read).',
    'sendStalls',
    (stats) => stats.sendStalls,
  ),
  counter(
    'dispatch_yields_total',
    'Times a session used up its dispatch budget in one go and let the other sessions go first.',
    'dispatchYields',
    (stats) => stats.dispatchYields,
  ),
  {
    name: 'pending_handshakes',
    help: 'TLS connections in their handshake now (they hold no session slot; bounded by maxPendingHandshakes).',
    type: 'gauge',
    labelNames: [],
    fields: ['pendingHandshakes'],
    read: (stats) => stats.pendingHandshakes,
  },
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
  // The cluster adapter's counters (the in-process adapter of a one-process server, or a RedisAdapter).
  {
    name: 'cluster_connected',
    help: '1 while the cluster adapter can reach its backend (always 1 for the in-process adapter once started), else 0.',
    type: 'gauge',
    labelNames: [],
    fields: ['cluster.connected'],
    aggregator: 'min', // 1 only when every worker is connected
    read: (stats) => (stats.cluster.connected ? 1 : 0),
  },
  counter(
    'cluster_published_total',
    'Messages this node handed to the cluster backend: publish calls, and sendTo calls for a session on another node.',
    'cluster.published',
    (stats) => stats.cluster.published,
  ),
  counter(
    'cluster_received_total',
    'Messages the cluster backend handed to this node (its own echoes included).',
    'cluster.received',
    (stats) => stats.cluster.received,
  ),
  counter(
    'cluster_missed_total',
    'Messages from other nodes this node should have received and did not (gaps in their sequence numbers).',
    'cluster.missed',
    (stats) => stats.cluster.missed,
  ),
  counter(
    'cluster_dropped_total',
    'Cluster messages received and dropped unread (another wire-format version, or not a message of the adapter).',
    'cluster.dropped',
    (stats) => stats.cluster.dropped,
  ),
  {
    name: 'cluster_subscriptions',
    help: 'Channels (or the backend equivalent) this node is subscribed to now.',
    type: 'gauge',
    labelNames: [],
    fields: ['cluster.subscriptions'],
    read: (stats) => stats.cluster.subscriptions,
  },
  counter(
    'cluster_reconnects_total',
    'Times the connection to the cluster backend came back after being lost.',
    'cluster.reconnects',
    (stats) => stats.cluster.reconnects,
  ),
  counter(
    'cluster_unavailable_total',
    'Cluster calls rejected with ClusterUnavailableError (the backend was unreachable).',
    'cluster.unavailable',
    (stats) => stats.cluster.unavailable,
  ),
]
