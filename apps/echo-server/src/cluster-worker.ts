import cluster from 'node:cluster'
import { AggregatorRegistry, Registry } from 'prom-client'
import type { CliIo } from './cli-program.js'
import { reportStartError } from './cli-program.js'
import {
  decodeWorkerSetup,
  isMessage,
  type StopMessage,
  type WorkerMessage,
  workerSetupVariable,
} from './cluster-messages.js'
import { type EchoServer, startEchoServer } from './echo-server.js'
import { PinoLogFactory } from './pino-log-factory.js'
import { waitForStopSignal } from './stop-signal.js'
import { logStopped } from './stop-summary.js'

/** True in a worker process started by `socketlite-echo --cluster`. */
export function isEchoWorker(): boolean {
  return cluster.isWorker && process.env[workerSetupVariable] !== undefined
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve()
      return
    }
    process.send(message, undefined, {}, () => resolve())
  })
}

/**
 * The life of one `--cluster` worker: start the echo server from the setup the primary passed, report the bound
 * URLs, serve until the primary says stop (or the process gets SIGINT/SIGTERM, or the primary is gone), then stop
 * gracefully. Resolves with the exit code.
 */
export async function runClusterWorker(): Promise<number> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr }
  const setup = decodeWorkerSetup(process.env[workerSetupVariable] ?? '{}')
  const logFactory = new PinoLogFactory({
    level: setup.logLevel,
    ...(setup.logFormat === undefined ? {} : { pretty: setup.logFormat === 'pretty' }),
    bindings: { worker: setup.id },
  })
  const stopRequest = new Promise<string>((resolve) => {
    process.on('message', (message: unknown) => {
      if (isMessage<StopMessage>(message, 'stop')) resolve('stop')
    })
    process.once('disconnect', () => resolve('the primary is gone'))
    void waitForStopSignal().then(resolve)
  })
  let echo: EchoServer
  try {
    echo = await startEchoServer({
      config: setup.config,
      protocol: setup.protocol,
      logFactory,
      ...(setup.metrics === true ? { metricsRegistry: workerMetricsRegistry() } : {}),
    })
  } catch (error) {
    const exitCode = reportStartError(io, error)
    await send({ type: 'failed', exitCode })
    return exitCode
  }
  await send({ type: 'listening', urls: echo.urls })
  const started = performance.now()
  const reason = await stopRequest
  echo.server.logger.info('Stopping: sending the queued replies, then closing every session', { reason })
  await echo.stop()
  logStopped(echo.server.logger, echo.server.getStats(), performance.now() - started, logFactory.pretty)
  return 0
}

/**
 * The registry of this worker's metrics, answered to the primary's requests (prom-client's cluster messages: making
 * an `AggregatorRegistry` in a worker installs the answering listener; `setRegistries` says which registry).
 */
function workerMetricsRegistry(): Registry {
  const registry = new Registry()
  AggregatorRegistry.setRegistries(registry)
  new AggregatorRegistry()
  return registry
}
