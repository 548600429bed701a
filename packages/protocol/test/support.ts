import { fc } from '@fast-check/vitest'
import { type ReceiveFilter, SocketError } from '@socketlite/socket-base'
import { ReceivePipeline } from '../src/index.js'

/** The outcome of decoding a stream: the requests, then the error code that stopped it (if any). */
export interface Decoded<TRequest> {
  requests: TRequest[]
  error: string | undefined
  /** Largest `bufferedBytes` seen after a `next()` returned `undefined` (all pushed bytes given to the filter). */
  maxBuffered: number
  /** `bufferedBytes` at the end (0 after an error). */
  buffered: number
}

/** Splits `bytes` into chunks of the given sizes (cycled), never empty; each chunk is a fresh buffer. */
export function chunk(bytes: Uint8Array, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = []
  let index = 0
  for (let offset = 0; offset < bytes.length; index++) {
    const size = Math.max(1, sizes.length === 0 ? bytes.length : (sizes[index % sizes.length] as number))
    chunks.push(Buffer.from(bytes.subarray(offset, offset + size)))
    offset += size
  }
  return chunks
}

/** Pushes each chunk and drains the pipeline after it; stops at the first error and records its code. */
export function decode<TRequest>(
  filter: ReceiveFilter<TRequest>,
  chunks: readonly Uint8Array[],
  maxRequestLength: number,
): Decoded<TRequest> {
  const pipeline = new ReceivePipeline(filter, { maxRequestLength })
  const requests: TRequest[] = []
  let maxBuffered = 0
  try {
    for (const part of chunks) {
      pipeline.push(part)
      for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) requests.push(request)
      maxBuffered = Math.max(maxBuffered, pipeline.bufferedBytes)
    }
  } catch (error) {
    if (!SocketError.isSocketError(error)) throw error
    return { requests, error: error.code, maxBuffered, buffered: 0 }
  }
  return { requests, error: undefined, maxBuffered, buffered: pipeline.bufferedBytes }
}

/**
 * Like {@link decode}, but pushes several chunks before each drain (`batches`, cycled: how many), so that unread
 * chunks pile up in the pipeline as while a handler runs. Requests are turned into plain data only at the end: a
 * buffer handed out early that was written again later would show.
 */
export function decodeBatched<TRequest>(
  filter: ReceiveFilter<TRequest>,
  chunks: readonly Uint8Array[],
  batches: readonly number[],
  maxRequestLength: number,
): Decoded<TRequest> {
  const pipeline = new ReceivePipeline(filter, { maxRequestLength })
  const requests: TRequest[] = []
  let maxBuffered = 0
  let unread = 0
  try {
    for (let index = 0, batch = 0; index < chunks.length; batch++) {
      const count = Math.max(1, batches.length === 0 ? 1 : (batches[batch % batches.length] as number))
      for (const part of chunks.slice(index, index + count)) {
        pipeline.push(part)
        unread += part.length
      }
      index += count
      if (pipeline.pendingBytes !== unread) throw new Error(`pendingBytes ${pipeline.pendingBytes}, pushed ${unread}`)
      for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) requests.push(request)
      unread = pipeline.pendingBytes
      maxBuffered = Math.max(maxBuffered, pipeline.bufferedBytes)
    }
  } catch (error) {
    if (!SocketError.isSocketError(error)) throw error
    return { requests, error: error.code, maxBuffered, buffered: 0 }
  }
  return { requests, error: undefined, maxBuffered, buffered: pipeline.bufferedBytes }
}

/** How to cut a stream: chunk sizes from 1 byte up (small sizes are frequent), cycled over the stream. */
export const chunkSizes = fc.oneof(
  fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 20 }),
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
  fc.constant([1]),
)

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(part)))
}

/** Plain data of a request, for deep equality (class instances and Buffers compared by content). */
export function plain(request: unknown): unknown {
  if (Buffer.isBuffer(request)) return [...request]
  if (Array.isArray(request)) return request.map(plain)
  if (typeof request === 'object' && request !== null) {
    return Object.fromEntries(Object.entries(request).map(([key, value]) => [key, plain(value)]))
  }
  return request
}
