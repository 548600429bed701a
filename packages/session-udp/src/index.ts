/**
 * @packageDocumentation
 * UDP sessions for socketlite: one session per remote endpoint or per session id carried in each datagram.
 */
export {}
