import { expect, test } from 'vitest'
import { viewOffset, viewOffsetOf, viewSource, viewSourceOf } from '../src/index.js'

test('the view keys are registered symbols, the same for every copy of the package', () => {
  expect(viewSource).toBe(Symbol.for('socketlite.viewSource'))
  expect(viewOffset).toBe(Symbol.for('socketlite.viewOffset'))
})

test('a view that answers the keys is read through them', () => {
  const backing = new ArrayBuffer(16)
  const answered = new ArrayBuffer(8)
  const view = Object.assign(new Uint8Array(backing, 4, 8), { [viewSource]: answered, [viewOffset]: 2 })
  expect([viewSourceOf(view), viewOffsetOf(view)]).toEqual([answered, 2])
})

test('any other Uint8Array gives its buffer and byteOffset', () => {
  const backing = new ArrayBuffer(16)
  const view = new Uint8Array(backing, 4, 8)
  expect(viewSourceOf(view)).toBe(backing)
  expect(viewOffsetOf(view)).toBe(4)
  const pooled = Buffer.from('abc')
  expect([viewSourceOf(pooled), viewOffsetOf(pooled)]).toEqual([pooled.buffer, pooled.byteOffset])
})
