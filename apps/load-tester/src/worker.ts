import { parentPort, workerData } from 'node:worker_threads'
import type { EngineCommand, EngineConfig } from './engine-protocol.js'
import { LoadEngine } from './load-engine.js'

// Entry of a `--workers N` thread: one LoadEngine, driven by the coordinator's messages.
const port = parentPort
if (port !== null) {
  const config = workerData as EngineConfig
  const engine = new LoadEngine(config, (event) => port.postMessage(event))
  port.on('message', (command: EngineCommand) => engine.handle(command))
}
