/**
 * @packageDocumentation
 * TLS sessions for socketlite: TLS over accepted TCP sockets, PEM/PFX certificate loading and live reload.
 */
export {}
