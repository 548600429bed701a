/**
 * @packageDocumentation
 * Receive filters for socketlite: terminator, command line, fixed size, fixed header, length field, begin/end mark, count spliter.
 */
export {}
