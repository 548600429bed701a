import { expectTypeOf, test } from 'vitest'
import {
  CloseReason,
  type CloseReasonName,
  closeReasonName,
  type FilterState,
  ServerState,
  serverStateName,
} from '../src/index.js'

test('CloseReason is the union 0 | 1 | ... | 8', () => {
  expectTypeOf<CloseReason>().toEqualTypeOf<0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8>()
  expectTypeOf(CloseReason.TimeOut).toEqualTypeOf<6>()
  expectTypeOf(CloseReason.ServerClosing).toExtend<CloseReason>()
  // @ts-expect-error 9 is not a close reason
  const notAReason: CloseReason = 9
  void notAReason
})

test('CloseReasonName is the union of the key names; closeReasonName returns it', () => {
  expectTypeOf<CloseReasonName>().toEqualTypeOf<
    | 'Unknown'
    | 'ServerShutdown'
    | 'ClientClosing'
    | 'ServerClosing'
    | 'ApplicationError'
    | 'SocketError'
    | 'TimeOut'
    | 'ProtocolError'
    | 'InternalError'
  >()
  expectTypeOf(closeReasonName).parameter(0).toEqualTypeOf<number>()
  expectTypeOf(closeReasonName).returns.toEqualTypeOf<CloseReasonName>()
})

test('CloseReason is a readonly as-const object, not an enum', () => {
  // @ts-expect-error the values are readonly
  CloseReason.TimeOut = 7
  expectTypeOf(CloseReason).toEqualTypeOf<{
    readonly Unknown: 0
    readonly ServerShutdown: 1
    readonly ClientClosing: 2
    readonly ServerClosing: 3
    readonly ApplicationError: 4
    readonly SocketError: 5
    readonly TimeOut: 6
    readonly ProtocolError: 7
    readonly InternalError: 8
  }>()
})

test('ServerState is the union 0 | 1 | ... | 5', () => {
  expectTypeOf<ServerState>().toEqualTypeOf<0 | 1 | 2 | 3 | 4 | 5>()
  expectTypeOf(ServerState.Running).toEqualTypeOf<4>()
  expectTypeOf(serverStateName).returns.toEqualTypeOf<
    'NotInitialized' | 'Initializing' | 'NotStarted' | 'Starting' | 'Running' | 'Stopping' | 'Unknown'
  >()
  // @ts-expect-error 6 is not a server state
  const notAState: ServerState = 6
  void notAState
})

test('FilterState is the union 0 | 1', () => {
  expectTypeOf<FilterState>().toEqualTypeOf<0 | 1>()
})
