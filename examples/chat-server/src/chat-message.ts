import type { StringRequestInfo } from '@socketlite/app-server'

/**
 * What the logic queue carries. Connects and disconnects become messages too (the original's internal packets 8011
 * and 8012), so they are ordered with the requests of every session.
 */
export type ChatMessage =
  | { readonly kind: 'connect'; readonly sessionId: string }
  | { readonly kind: 'request'; readonly sessionId: string; readonly request: StringRequestInfo }
  | { readonly kind: 'disconnect'; readonly sessionId: string }
