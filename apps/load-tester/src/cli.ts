#!/usr/bin/env node
import { main } from './cli-program.js'

// socketlite-load: see `socketlite-load --help` and the README.
main(process.argv).then(
  (code) => {
    process.exitCode = code
    // every socket and worker is closed by now; do not let a stray handle keep the process alive
    setTimeout(() => process.exit(code), 2000).unref()
  },
  (error: unknown) => {
    process.stderr.write(
      `socketlite-load: error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exit(1)
  },
)
