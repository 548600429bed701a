import { expect, test } from 'vitest'
import { LogicQueue } from '../src/logic-queue.js'

test('handles messages one at a time, in order, even when the handler is asynchronous', async () => {
  const log: string[] = []
  let running = 0
  const queue = new LogicQueue<number>(
    async (message) => {
      running++
      expect(running).toBe(1)
      log.push(`start ${message}`)
      await new Promise<void>((resolve) => setImmediate(resolve))
      log.push(`end ${message}`)
      running--
    },
    () => {},
  )
  await Promise.all([queue.post(1), queue.post(2), queue.post(3)])
  expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'])
  expect(queue.length).toBe(0)
})

test('a handler that throws is reported and the queue goes on', async () => {
  const errors: unknown[] = []
  const handled: number[] = []
  const queue = new LogicQueue<number>(
    (message) => {
      if (message === 2) throw new Error('boom')
      handled.push(message)
    },
    (error, message) => errors.push([message, (error as Error).message]),
  )
  await Promise.all([queue.post(1), queue.post(2), queue.post(3)])
  expect(handled).toEqual([1, 3])
  expect(errors).toEqual([[2, 'boom']])
})
