import net from 'node:net'
import { SocketError } from '@socketlite/socket-base'
import { connectTcp, readBytes, waitFor } from '@socketlite/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { TcpSocketListener } from '../src/index.js'

function listener(init: ConstructorParameters<typeof TcpSocketListener>[0]): TcpSocketListener {
  const made = new TcpSocketListener(init)
  onTestFinished(() => made.stop())
  return made
}

async function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const client = await connectTcp(port, host)
  onTestFinished(() => {
    client.destroy()
  })
  return client
}

function destroyOnFinish(socket: net.Socket): net.Socket {
  onTestFinished(() => {
    socket.destroy()
  })
  return socket
}

describe('TcpSocketListener', () => {
  test('binds an ephemeral port, reads it back and hands over accepted sockets', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    expect(under.listening).toBe(false)
    expect(under.endPoint).toBeUndefined()
    const endPoint = await under.start()
    expect(endPoint).toEqual({ address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' })
    expect(endPoint.port).toBeGreaterThan(0)
    expect(under.endPoint).toEqual(endPoint)
    expect(under.listening).toBe(true)
    expect(under.netServer?.listening).toBe(true)

    const accepted = waitFor(under, 'connection')
    const client = await connect(endPoint.port)
    const [socket] = (await accepted) as [net.Socket]
    destroyOnFinish(socket)
    expect(socket.remotePort).toBe(client.localPort)
    socket.write('hello')
    expect((await readBytes(client, 5)).toString()).toBe('hello')
  })

  test('start while listening returns the same endpoint', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const first = under.start()
    expect(under.start()).toBe(first)
    const endPoint = await first
    expect(await under.start()).toBe(endPoint)
  })

  test('accepted sockets allow half-open connections: the owner decides when to end', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    const accepted = waitFor(under, 'connection')
    const client = await connect(port)
    const [socket] = (await accepted) as [net.Socket]
    destroyOnFinish(socket)
    socket.resume()
    client.end()
    await waitFor(socket, 'end')
    // The peer's FIN did not end our side: we can still write, and the client still reads.
    expect(socket.writable).toBe(true)
    socket.end('late reply')
    expect((await readBytes(client, 10)).toString()).toBe('late reply')
  })

  test('works over IPv6 loopback', async () => {
    const under = listener({ ip: '::1', port: 0 })
    const endPoint = await under.start()
    expect(endPoint.family).toBe('IPv6')
    expect(endPoint.address).toBe('::1')
    const accepted = waitFor(under, 'connection')
    await connect(endPoint.port, '::1')
    const [socket] = (await accepted) as [net.Socket]
    destroyOnFinish(socket)
    expect(socket.remoteFamily).toBe('IPv6')
  })

  test('a port in use rejects with ListenError whose cause is EADDRINUSE, leaving nothing bound', async () => {
    const first = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await first.start()
    const second = listener({ ip: '127.0.0.1', port })
    let thrown: unknown
    try {
      await second.start()
    } catch (error) {
      thrown = error
    }
    expect(SocketError.isSocketError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'ERR_LISTEN_FAILED', cause: { code: 'EADDRINUSE' } })
    expect(second.listening).toBe(false)
    expect(second.netServer).toBeUndefined()
    await second.stop()
    // The failed listener can try again once the port is free.
    await first.stop()
    expect((await second.start()).port).toBe(port)
  })

  test('a listen call that throws synchronously rejects with ListenError and leaves the listener startable', async () => {
    const spy = vi.spyOn(net.Server.prototype, 'listen').mockImplementationOnce(() => {
      throw new Error('synchronous listen failure')
    })
    onTestFinished(() => spy.mockRestore())
    const subject = listener({ ip: '127.0.0.1', port: 0 })
    await expect(subject.start()).rejects.toMatchObject({ code: 'ERR_LISTEN_FAILED' })
    expect(subject.listening).toBe(false)
    expect((await subject.start()).port).toBeGreaterThan(0)
  })

  test('stop frees the port at once, keeps accepted sockets open, and start binds again', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    const accepted = waitFor(under, 'connection')
    const client = await connect(port)
    const [socket] = (await accepted) as [net.Socket]
    destroyOnFinish(socket)

    await under.stop()
    expect(under.listening).toBe(false)
    expect(under.endPoint).toBeUndefined()
    await under.stop() // idempotent
    await expect(connectTcp(port)).rejects.toThrow()

    // The accepted connection lives on.
    socket.write('still here')
    expect((await readBytes(client, 10)).toString()).toBe('still here')

    // The same listener binds the same port again and accepts.
    const again = new TcpSocketListener({ ip: '127.0.0.1', port })
    onTestFinished(() => again.stop())
    expect((await again.start()).port).toBe(port)
    await again.stop()
    // A listener asked for port 0 gets a fresh ephemeral port each start.
    const restarted = await under.start()
    const acceptedAgain = waitFor(under, 'connection')
    await connect(restarted.port)
    destroyOnFinish(((await acceptedAgain) as [net.Socket])[0])
  })

  test('an accept error (EMFILE) is emitted as error and accepting goes on', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    const errors: Error[] = []
    under.on('error', (error) => errors.push(error))
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' })
    under.netServer?.emit('error', emfile)
    expect(errors).toEqual([emfile])
    const accepted = waitFor(under, 'connection')
    await connect(port)
    destroyOnFinish(((await accepted) as [net.Socket])[0])
    expect(under.listening).toBe(true)
  })

  test('an error without an error listener is dropped, never thrown', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    await under.start()
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' })
    expect(() => under.netServer?.emit('error', emfile)).not.toThrow()
    expect(under.listening).toBe(true)
  })

  test('a connection listener that throws destroys that socket and reports the error', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    const failure = new Error('owner bug')
    under.once('connection', () => {
      throw failure
    })
    const reported = waitFor(under, 'error')
    const client = await connect(port)
    expect(await reported).toEqual([failure])
    await waitFor(client, 'close')
    const accepted = waitFor(under, 'connection')
    await connect(port)
    destroyOnFinish(((await accepted) as [net.Socket])[0])
  })

  test('an accepted socket reset before its owner listens for errors does not crash the process', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    const accepted = waitFor(under, 'connection')
    const client = await connect(port)
    const [socket] = (await accepted) as [net.Socket]
    destroyOnFinish(socket)
    socket.resume()
    client.resetAndDestroy()
    await new Promise((resolve) => socket.once('close', resolve))
    expect(socket.destroyed).toBe(true)
  })

  test('a socket whose connection listener added an error listener gets no second one; others get the no-op one', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const owned: net.Socket[] = []
    const waiting: net.Socket[] = []
    under.on('connection', (socket) => {
      if (owned.length === 0) {
        socket.on('error', () => {})
        owned.push(socket)
      } else waiting.push(socket)
    })
    const { port } = await under.start()
    for (let index = 0; index < 2; index++) {
      const accepted = waitFor(under, 'connection')
      await connect(port)
      destroyOnFinish(((await accepted) as [net.Socket])[0])
    }
    expect(owned[0]?.listenerCount('error')).toBe(1)
    expect(waiting[0]?.listenerCount('error')).toBe(1)
  })

  test('Symbol.asyncDispose stops the listener', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    await under.start()
    await under[Symbol.asyncDispose]()
    expect(under.listening).toBe(false)
  })

  test('rejects invalid options with InvalidArgumentError', () => {
    for (const init of [
      { ip: '127.0.0.1', port: -1 },
      { ip: '127.0.0.1', port: 65_536 },
      { ip: '127.0.0.1', port: 1.5 },
      { ip: '', port: 0 },
      { ip: '127.0.0.1', port: 0, backlog: 0 },
    ]) {
      expect(() => new TcpSocketListener(init), JSON.stringify(init)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
  })
})
