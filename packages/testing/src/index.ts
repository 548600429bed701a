/**
 * @packageDocumentation
 * Test helpers shared by the socketlite packages (private; tests only): ephemeral-port TCP servers and clients,
 * stream and line readers, line-protocol clients, chunk splitters, self-signed certificates, a throwaway `redis-server`
 * (and Redis Cluster), a fake cluster node for adapter tests, running a built program until it listens, and the
 * `sessionCompliance` suite every socket session runs.
 *
 * @example
 * ```ts
 * import { connectTcp, listenTcp, readBytes } from '@socketlite/testing'
 *
 * test('echo', async () => {
 *   const server = await listenTcp((socket) => socket.pipe(socket))
 *   onTestFinished(() => server.close())
 *   const client = await connectTcp(server.port)
 *   onTestFinished(() => { client.destroy() })
 *   client.write('ping')
 *   expect((await readBytes(client, 4)).toString()).toBe('ping')
 * })
 * ```
 */

export { buildIfStale } from './build-if-stale.js'
export {
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  type SelfSignedCertificateOptions,
} from './certificate.js'
export { bytesDiff, type RandomChunksOptions, randomChunks, seededRandom, splitAt } from './chunks.js'
export {
  type FakeClusterLogLine,
  FakeClusterNode,
  type FakeClusterNodeInit,
  type FakeClusterSession,
} from './cluster-node.js'
export {
  type MetricFamily,
  type MetricSample,
  type MetricType,
  metricFamily,
  parseExposition,
  sampleValue,
} from './exposition.js'
export { connectLineClient, type LineClient } from './line-client.js'
export { type LineReader, lineReader } from './line-reader.js'
export { readBytes, readUntilEnd } from './read.js'
export {
  ensureRedisServer,
  freePort,
  type RedisCluster,
  type RedisClusterOptions,
  type RedisServer,
  type RedisServerOptions,
  redisInstallCommand,
  startRedisCluster,
  startRedisServer,
} from './redis-server.js'
export {
  type CommandLineConventions,
  type ProgramExit,
  type RunMainOptions,
  type RunningMain,
  runMain,
  runToExit,
  testCommandLineConventions,
} from './run-main.js'
export {
  type ComplianceCloseReasons,
  type ComplianceFixture,
  type ComplianceSession,
  type ComplianceSessionInit,
  type SessionComplianceOptions,
  sessionCompliance,
} from './session-compliance.js'
export {
  type ComplianceHandler,
  type RecordedEvent,
  SessionRecorder,
  type SessionRecorderInit,
} from './session-recorder.js'
export { type CompliancePeer, type StreamPeerOptions, streamPeer } from './stream-peer.js'
export {
  type ConnectTcpOptions,
  connectTcp,
  type ListenTcpOptions,
  listenTcp,
  type TcpSocketPair,
  type TcpSocketPairOptions,
  type TcpTestServer,
  tcpSocketPair,
} from './tcp.js'
export { type Deferred, deferred, type EventSource, waitFor, withTimeout } from './wait.js'
