/**
 * @packageDocumentation
 * TCP and UDP listeners for socketlite: accept loop, backlog, IPv4/IPv6, bound datagram sockets.
 */
export {}
