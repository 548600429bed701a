import cluster, { type Worker } from 'node:cluster'
import { AggregatorRegistry } from 'prom-client'
import { type CliOptions, configUsesTls } from './cli-options.js'
import type { CliIo } from './cli-program.js'
import { reportStartError } from './cli-program.js'
import {
  encodeWorkerSetup,
  isMessage,
  type StopMessage,
  type WorkerMessage,
  workerSetupVariable,
} from './cluster-messages.js'
import { type MetricsEndpoint, startMetricsEndpoint } from './metrics-endpoint.js'
import { PinoLogFactory } from './pino-log-factory.js'
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './self-signed-certificate.js'
import { waitForStopSignal } from './stop-signal.js'

/** Extra time a worker gets beyond `closeTimeOut` to stop before it is killed. */
const stopMarginMilliseconds = 5_000

/**
 * `socketlite-echo --cluster N`: the primary process. It makes a self-signed certificate once when needed, forks N
 * workers that each run the echo server on the same endpoints (node:cluster shares the listening sockets, so port 0
 * gives every worker the same ephemeral port), prints the `listening` lines once every worker is ready, replaces a
 * worker that dies (one that stopped gracefully, exit code 0, is not replaced), and on SIGINT/SIGTERM (or `io.signal`) tells every worker to stop gracefully and waits for
 * them. Resolves with the exit code: 0 after a clean stop, the failing worker's code when a worker could not
 * start (2 for configuration errors, 1 otherwise), 1 when workers kept dying or had to be killed.
 *
 * @param options - the validated command line
 * @param io - where to write, what stops the cluster
 * @param exec - the script the workers run: the `socketlite-echo` CLI
 * @default exec process.argv[1]
 */
export async function runClusterPrimary(
  options: CliOptions,
  io: CliIo,
  exec: string = process.argv[1] ?? '',
): Promise<number> {
  const size = options.cluster ?? 1
  const logFactory = new PinoLogFactory({
    level: options.logLevel,
    destination: io.stderr === process.stderr ? 2 : io.stderr,
    ...(options.logFormat === undefined ? {} : { pretty: options.logFormat === 'pretty' }),
    bindings: { role: 'primary' },
  })
  const logger = logFactory.getLogger(options.config.name ?? 'socketlite-echo')
  const stopSignal = waitForStopSignal(io.signal)
  let config = options.config
  let certificate: SelfSignedCertificate | undefined
  if (configUsesTls(config) && config.certificate === undefined) {
    const ips = config.listeners?.map((listener) => listener.ip) ?? [config.ip ?? '127.0.0.1']
    certificate = await generateSelfSignedCertificate({ hosts: ['localhost', '127.0.0.1', '::1', ...ips] })
    process.once('exit', certificate.cleanupSync)
    config = { ...config, certificate: { certFile: certificate.certFile, keyFile: certificate.keyFile } }
    logger.info('Made a self-signed certificate (clients: --insecure, or --ca with this file)', {
      certFile: certificate.certFile,
    })
  }
  cluster.setupPrimary({ exec, args: [], silent: false })

  type Phase = 'starting' | 'running' | 'stopping'
  let phase: Phase = 'starting'
  const live = new Set<Worker>()
  let restarts = 0
  let failure: number | undefined
  let readyCount = 0
  let urls: readonly string[] | undefined
  let onStarted: ((result: number | undefined) => void) | undefined
  let onAllExited: (() => void) | undefined
  const closeTimeOut = config.closeTimeOut ?? 5_000

  const stopAll = (): void => {
    for (const worker of live) {
      try {
        if (worker.isConnected()) worker.send({ type: 'stop' } satisfies StopMessage)
      } catch {
        // The worker is already going away.
      }
      const killer = setTimeout(() => {
        if (!worker.isDead()) {
          logger.error('A worker did not stop in time; killing it', { worker: worker.id })
          failure ??= 1
          worker.process.kill('SIGKILL')
        }
      }, closeTimeOut + stopMarginMilliseconds)
      killer.unref()
      worker.once('exit', () => clearTimeout(killer))
    }
  }

  const fork = (id: number): void => {
    const worker = cluster.fork({
      [workerSetupVariable]: encodeWorkerSetup({
        id,
        config,
        protocol: options.protocol,
        logLevel: options.logLevel,
        logFormat: options.logFormat,
        metrics: options.metrics !== undefined,
      }),
    })
    live.add(worker)
    let ready = false
    worker.on('message', (message: WorkerMessage) => {
      if (isMessage<Extract<WorkerMessage, { type: 'listening' }>>(message, 'listening')) {
        ready = true
        if (phase === 'starting') {
          urls ??= message.urls
          if (++readyCount === size) onStarted?.(undefined)
        } else if (phase === 'stopping') {
          stopAll()
        }
      }
    })
    worker.once('exit', (code, signal) => {
      live.delete(worker)
      if (phase === 'starting' && !ready) {
        failure ??= code === null || code === 0 ? 1 : code
        onStarted?.(failure)
      } else if (phase === 'running' && code === 0) {
        // Stopped gracefully on its own (e.g. Ctrl-C reaches the whole process group): not replaced.
        logger.info('A worker stopped', { worker: id })
      } else if (phase === 'running') {
        logger.error('A worker died; starting a new one', { worker: id, code, signal })
        if (++restarts > size * 3) {
          logger.error('Workers keep dying; stopping the cluster')
          failure ??= 1
          phase = 'stopping'
          stopAll()
        } else fork(id)
      } else if (phase === 'stopping' && code !== 0) {
        failure ??= 1
      }
      if (live.size === 0) onAllExited?.()
    })
  }

  const allExited = (): Promise<void> =>
    live.size === 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          onAllExited = resolve
        })

  const started = new Promise<number | undefined>((resolve) => {
    onStarted = resolve
  })
  for (let id = 1; id <= size; id++) fork(id)
  const startFailure = await started
  if (startFailure !== undefined) {
    phase = 'stopping'
    stopAll()
    await allExited()
    await certificate?.cleanup()
    return startFailure
  }
  let metricsEndpoint: MetricsEndpoint | undefined
  if (options.metrics !== undefined) {
    // Every worker's metrics, summed (prom-client asks each worker over the cluster's IPC channel at each scrape).
    const aggregator = new AggregatorRegistry()
    try {
      metricsEndpoint = await startMetricsEndpoint(
        { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
        options.metrics,
      )
    } catch (error) {
      phase = 'stopping'
      stopAll()
      await allExited()
      await certificate?.cleanup()
      return reportStartError(io, error)
    }
  }
  phase = 'running'
  io.stdout.write((urls ?? []).map((url) => `listening ${url}\n`).join(''))
  if (metricsEndpoint !== undefined) io.stdout.write(`metrics ${metricsEndpoint.url}\n`)
  logger.info('Cluster ready', { workers: size, urls })

  const reason = await Promise.race([stopSignal, allExited().then(() => 'every worker is gone')])
  if (phase === 'running') {
    phase = 'stopping'
    logger.info('Stopping every worker', { reason })
    stopAll()
  }
  await allExited()
  await metricsEndpoint?.close()
  await certificate?.cleanup()
  logger.info('Cluster stopped')
  return failure ?? 0
}
