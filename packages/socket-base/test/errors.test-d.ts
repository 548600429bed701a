import { expectTypeOf, test } from 'vitest'
import {
  ClusterUnavailableError,
  ConfigError,
  type ConfigIssue,
  ConnectError,
  HandlerTimeoutError,
  ProtocolError,
  SendTimeoutError,
  SessionClosedError,
  SocketError,
  type SocketErrorCode,
} from '../src/index.js'

test('isSocketError narrows unknown to SocketError, whose code is the SocketErrorCode union', () => {
  const caught: unknown = undefined
  if (SocketError.isSocketError(caught)) {
    expectTypeOf(caught).toEqualTypeOf<SocketError>()
    expectTypeOf(caught.code).toEqualTypeOf<SocketErrorCode>()
    if (caught.code === 'ERR_SEND_TIMEOUT') expectTypeOf(caught.code).toEqualTypeOf<'ERR_SEND_TIMEOUT'>()
    // @ts-expect-error not a code of socketlite
    if (caught.code === 'ERR_NOT_A_CODE') return
  }
})

test('each class carries its literal code, so a union of error classes narrows on code', () => {
  expectTypeOf(new SessionClosedError().code).toEqualTypeOf<'ERR_SESSION_CLOSED'>()
  expectTypeOf(new SendTimeoutError().code).toEqualTypeOf<'ERR_SEND_TIMEOUT'>()
  expectTypeOf(new ConfigError([]).code).toEqualTypeOf<'ERR_INVALID_CONFIG'>()
  expectTypeOf(new ProtocolError('x').code).toEqualTypeOf<'ERR_PROTOCOL' | 'ERR_REQUEST_TOO_LARGE'>()
  expectTypeOf(new ConnectError('x').code).toEqualTypeOf<'ERR_CONNECT_FAILED' | 'ERR_CONNECTION_REFUSED'>()
  expectTypeOf(new ClusterUnavailableError().code).toEqualTypeOf<'ERR_CLUSTER_UNAVAILABLE'>()
  expectTypeOf(new HandlerTimeoutError().code).toEqualTypeOf<'ERR_HANDLER_TIMEOUT'>()
  expectTypeOf(new HandlerTimeoutError()).toExtend<SocketError>()

  const failure = new SendTimeoutError() as SendTimeoutError | SessionClosedError | ConfigError
  if (failure.code === 'ERR_INVALID_CONFIG') {
    expectTypeOf(failure).toEqualTypeOf<ConfigError>()
    expectTypeOf(failure.issues).toEqualTypeOf<readonly ConfigIssue[]>()
  } else if (failure.code === 'ERR_SESSION_CLOSED') {
    expectTypeOf(failure).toEqualTypeOf<SessionClosedError>()
  } else {
    expectTypeOf(failure).toEqualTypeOf<SendTimeoutError>()
  }
})

test('codes are checked where errors are made', () => {
  new ProtocolError('too large', { code: 'ERR_REQUEST_TOO_LARGE' })
  new ConnectError('refused', { code: 'ERR_CONNECTION_REFUSED', cause: new Error('ECONNREFUSED') })
  // @ts-expect-error a ProtocolError cannot carry another class's code
  new ProtocolError('x', { code: 'ERR_SEND_TIMEOUT' })
  // @ts-expect-error not a code at all
  new SocketError('ERR_SOMETHING', 'x')
  // @ts-expect-error the code is readonly
  new SendTimeoutError().code = 'ERR_SEND_TIMEOUT'
  new HandlerTimeoutError('the connect handler did not settle', { cause: new Error('late') })
  // @ts-expect-error a HandlerTimeoutError takes no code option: it has one code
  new HandlerTimeoutError('x', { code: 'ERR_SEND_TIMEOUT' })
})

test('errors are Errors with an unknown cause; ConfigError lists issues', () => {
  expectTypeOf(new SessionClosedError()).toExtend<Error>()
  expectTypeOf(new SessionClosedError()).toExtend<SocketError>()
  expectTypeOf<SocketError['cause']>().toEqualTypeOf<unknown>()
  expectTypeOf<ConfigIssue>().toEqualTypeOf<{ readonly path: string; readonly message: string }>()
})
