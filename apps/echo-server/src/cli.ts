#!/usr/bin/env node
import { main } from './cli-program.js'
import { isEchoWorker, runClusterWorker } from './cluster-worker.js'

const exitCode = isEchoWorker() ? await runClusterWorker() : await main(process.argv)
process.exit(exitCode)
