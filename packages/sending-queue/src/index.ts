/**
 * @packageDocumentation
 * Per-session outbound queue bounded in bytes, with water marks and batch hand-off for one gather write.
 */
export {}
