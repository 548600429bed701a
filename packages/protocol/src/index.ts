/**
 * @packageDocumentation
 * Receive filters for socketlite: they turn a session's byte stream, split into chunks at any byte, into requests.
 * Built-ins: terminator, command line, fixed size, fixed header, length field, begin/end mark and count spliter,
 * each with a factory; the request types; and {@link ReceivePipeline}, which drives a session's filters.
 *
 * @example
 * ```ts
 * import { CommandLineReceiveFilter, ReceivePipeline } from '@socketlite/protocol'
 *
 * const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), { maxRequestLength: 65536 })
 * pipeline.push(Buffer.from('ECHO hello wor'))
 * pipeline.push(Buffer.from('ld\r\nQUIT\r\n'))
 * pipeline.next() // StringRequestInfo { key: 'ECHO', body: 'hello world', parameters: ['hello', 'world'] }
 * pipeline.next() // StringRequestInfo { key: 'QUIT', body: '', parameters: [] }
 * pipeline.next() // undefined: needs more bytes
 * ```
 */
export { BasicRequestInfoParser, type RequestInfoParser } from './basic-request-info-parser.js'
export {
  BeginEndMarkReceiveFilter,
  BeginEndMarkReceiveFilterBase,
  BeginEndMarkReceiveFilterFactory,
  type BeginEndMarkReceiveFilterInit,
  StringBeginEndMarkReceiveFilter,
  StringBeginEndMarkReceiveFilterFactory,
  type StringBeginEndMarkReceiveFilterInit,
} from './begin-end-mark-receive-filter.js'
export { BinaryRequestInfo } from './binary-request-info.js'
export {
  CommandLineReceiveFilter,
  CommandLineReceiveFilterFactory,
  type CommandLineReceiveFilterInit,
} from './command-line-receive-filter.js'
export {
  CountSpliterReceiveFilter,
  CountSpliterReceiveFilterBase,
  type CountSpliterReceiveFilterBaseInit,
  CountSpliterReceiveFilterFactory,
  type CountSpliterReceiveFilterInit,
} from './count-spliter-receive-filter.js'
export { FixedHeaderReceiveFilter } from './fixed-header-receive-filter.js'
export {
  FixedSizeReceiveFilter,
  FixedSizeReceiveFilterBase,
  FixedSizeReceiveFilterFactory,
  type FixedSizeReceiveFilterInit,
} from './fixed-size-receive-filter.js'
export {
  type LengthFieldLength,
  LengthFieldReceiveFilter,
  LengthFieldReceiveFilterFactory,
  type LengthFieldReceiveFilterInit,
} from './length-field-receive-filter.js'
export { ReceiveFilterBase } from './receive-filter-base.js'
export { ReceivePipeline, type ReceivePipelineInit } from './receive-pipeline.js'
export { StringRequestInfo } from './string-request-info.js'
export {
  BinaryTerminatorReceiveFilter,
  BinaryTerminatorReceiveFilterFactory,
  type TerminatorFrameInit,
  TerminatorReceiveFilter,
  TerminatorReceiveFilterBase,
  type TerminatorReceiveFilterBaseInit,
  TerminatorReceiveFilterFactory,
  type TerminatorReceiveFilterInit,
} from './terminator-receive-filter.js'
export { UdpRequestInfo } from './udp-request-info.js'
