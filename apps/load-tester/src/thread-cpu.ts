import { readFileSync } from 'node:fs'

/** Clock ticks per second of `/proc/.../stat` (`sysconf(_SC_CLK_TCK)`, 100 on every common Linux). */
const ticksPerSecond = 100

/**
 * CPU time (user + system, in milliseconds) used so far by the calling thread, read from
 * `/proc/thread-self/stat` — so each worker thread reports its own use. `undefined` where that file does not
 * exist (non-Linux); then only the process total (`process.cpuUsage()`) is known. Resolution 10 ms.
 */
export function readThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const user = Number(fields[11])
    const system = Number(fields[12])
    if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined
    return ((user + system) * 1000) / ticksPerSecond
  } catch {
    return undefined
  }
}
