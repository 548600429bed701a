/**
 * @packageDocumentation
 * The socket session base (state machine, close semantics, send path) and the TCP session over node:net.
 */
export {}
