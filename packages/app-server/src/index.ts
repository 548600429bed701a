/**
 * @packageDocumentation
 * AppServer and AppSession: the socketlite server that wires listeners, sessions and receive filters together.
 */
export {}
