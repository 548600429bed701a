import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { EngineCommand, EngineConfig, EngineEvent } from './engine-protocol.js'
import { LoadEngine } from './load-engine.js'

/** The coordinator's handle on one engine, in this thread or in a worker thread. */
export interface EngineLink {
  /** Sends a command. */
  send(command: EngineCommand): void
  /** Releases the engine (terminates its thread). */
  dispose(): Promise<void>
}

/**
 * Runs an engine in the calling thread. Its events are delivered asynchronously (never re-entrantly).
 *
 * @param config - the engine's share of the run
 * @param onEvent - receives every engine event
 */
export function createLocalLink(config: EngineConfig, onEvent: (event: EngineEvent) => void): EngineLink {
  const engine = new LoadEngine(config, (event) => queueMicrotask(() => onEvent(event)))
  return {
    send: (command) => engine.handle(command),
    dispose: () => Promise.resolve(),
  }
}

/**
 * Runs an engine in a worker thread (the built `worker.js` next to this module).
 *
 * @param config - the engine's share of the run
 * @param onEvent - receives every engine event; a crashed worker becomes a `fatal` event
 * @throws Error when the worker script is missing (running from sources: build first)
 */
export function createWorkerLink(config: EngineConfig, onEvent: (event: EngineEvent) => void): EngineLink {
  const url = new URL('./worker.js', import.meta.url)
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`--workers needs the built worker script ${fileURLToPath(url)}; run the build first`)
  }
  const worker = new Worker(url, { workerData: config })
  worker.on('message', (event: EngineEvent) => onEvent(event))
  worker.on('error', (error) => onEvent({ type: 'fatal', workerIndex: config.workerIndex, message: String(error) }))
  return {
    send: (command) => worker.postMessage(command),
    dispose: async () => {
      await worker.terminate()
    },
  }
}
