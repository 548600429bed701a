/** Lifecycle state of an `AppServer` (SuperSocket's values). */
export const ServerState = {
  NotInitialized: 0,
  Initializing: 1,
  NotStarted: 2,
  Starting: 3,
  Running: 4,
  Stopping: 5,
} as const

/** One of the {@link ServerState} values. */
export type ServerState = (typeof ServerState)[keyof typeof ServerState]

/** The name of a {@link ServerState} value, for logs and error messages. */
export function serverStateName(state: number): keyof typeof ServerState | 'Unknown' {
  for (const [name, value] of Object.entries(ServerState)) if (value === state) return name as keyof typeof ServerState
  return 'Unknown'
}

/** State of a receive filter: `Error` once it has rejected the stream (it then refuses further input). */
export const FilterState = {
  Normal: 0,
  Error: 1,
} as const

/** One of the {@link FilterState} values. */
export type FilterState = (typeof FilterState)[keyof typeof FilterState]
