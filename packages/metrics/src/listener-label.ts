import type { ListenerInfo } from '@socketlite/app-server'

/** The `listener` label of sessions made by `activeConnect` (they were accepted by no listener). */
export const outboundListenerLabel = 'outbound'

/**
 * The `listener` label of a session's listener: its URL as the echo server prints it — `tcp://127.0.0.1:2020`,
 * `tls://[::1]:2021`, `udp://127.0.0.1:2022` — or `outbound` for a session made by `activeConnect`.
 */
export function listenerLabel(listener: ListenerInfo | undefined): string {
  if (listener === undefined) return outboundListenerLabel
  const scheme = listener.mode === 'udp' ? 'udp' : listener.security === 'tls' ? 'tls' : 'tcp'
  const host = listener.ip.includes(':') ? `[${listener.ip}]` : listener.ip
  return `${scheme}://${host}:${listener.port}`
}
