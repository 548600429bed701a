import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { connectTcp, readUntilEnd, runMain } from '../src/index.js'

const program = new URL('./fixtures/listening-program.mjs', import.meta.url)

test('waits for the listening lines of its scheme, skipping the others; the ports are live; stop exits 0', async () => {
  const main = await runMain(program, ['tcp', '2'], { listening: 2 })
  expect(main.ports).toHaveLength(2)
  expect(main.ports[0]).not.toBe(main.ports[1])
  for (const port of main.ports) {
    const client = await connectTcp(port)
    expect((await readUntilEnd(client)).toString()).toBe('hello\n')
    client.destroy()
  }
  expect(await main.stop()).toBe(0)
})

test('udp lines with scheme udp, and a path string as entry', async () => {
  const main = await runMain(fileURLToPath(program), ['udp', '1'], { scheme: 'udp' })
  expect(main.ports).toHaveLength(1)
  expect(main.ports[0]).not.toBe(9)
  expect(await main.stop()).toBe(0)
})

test('a program that exits before it listens rejects', async () => {
  await expect(runMain(program, ['exit'])).rejects.toThrow(/0 of 1 listening lines/)
})

test('waits for only as many lines as asked; the program keeps running until stopped', async () => {
  const main = await runMain(program, ['tcp', '3'])
  expect(main.ports).toHaveLength(1)
  expect(main.child.exitCode).toBeNull()
  const exited = once(main.child, 'exit', { signal: AbortSignal.timeout(2_000) })
  expect(await main.stop()).toBe(0)
  await exited
})
