import { createPrivateKey } from 'node:crypto'
import { once } from 'node:events'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ConfigError, SocketError } from '@socketlite/socket-base'
import { makeSelfSignedCertificate, type SelfSignedCertificate, SessionRecorder } from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { TlsCertificateStore } from '../src/index.js'
import { tlsPair } from './helpers.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
/** A PKCS#12 file made with `openssl pkcs12 -export` (EC P-256 key, `localhost` certificate valid until 2126). */
const pfxFile = join(fixtures, 'server.pfx')
const pfxPassphrase = 'socketlite-test'
/** The certificate inside `server.pfx`, PEM, for clients to trust. */
const pfxCertFile = join(fixtures, 'server-cert.pem')

let first: SelfSignedCertificate
let second: SelfSignedCertificate
let dir: string

beforeAll(async () => {
  // Distinct subjects: a client trusting both must be able to tell the two self-signed certificates apart.
  ;[first, second] = await Promise.all([
    makeSelfSignedCertificate(),
    makeSelfSignedCertificate({ commonName: 'second.localhost' }),
  ])
  dir = await mkdtemp(join(tmpdir(), 'socketlite-store-'))
})

afterAll(async () => {
  await Promise.all([first.cleanup(), second.cleanup(), rm(dir, { recursive: true, force: true })])
})

/** The ConfigError `run` throws (fails the test when it does not throw one). */
function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_CONFIG')
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

function paths(error: ConfigError): string[] {
  return error.issues.map((issue) => issue.path).sort()
}

async function writeTemp(name: string, content: string | Buffer): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, content, { mode: 0o600 })
  return file
}

describe('TlsCertificateStore: loading', () => {
  test('loads PEM files into a secure context with the certificate fingerprint', () => {
    const store = new TlsCertificateStore({ certFile: first.certFile, keyFile: first.keyFile })
    expect(store.secureContext).toBeDefined()
    expect(store.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(store.validTo?.getTime()).toBeGreaterThan(Date.now())
    expect(store.generation).toBe(1)
    expect(store.minVersion).toBe('TLSv1.2')
    expect(store.clientCertificateRequired).toBe(false)
  })

  test('resolves relative file names against baseDir', () => {
    const store = new TlsCertificateStore({ certFile: 'cert.pem', keyFile: 'key.pem' }, { baseDir: first.dir })
    expect(store.fingerprint256).toBe(
      new TlsCertificateStore({ certFile: first.certFile, keyFile: first.keyFile }).fingerprint256,
    )
  })

  test('lists every missing file at once, under the configured path', () => {
    const error = configError(
      () =>
        new TlsCertificateStore(
          {
            certFile: join(dir, 'nope-cert.pem'),
            keyFile: join(dir, 'nope-key.pem'),
            caFile: join(dir, 'nope-ca.pem'),
          },
          { configPath: 'certificate' },
        ),
    )
    expect(paths(error)).toEqual(['certificate.caFile', 'certificate.certFile', 'certificate.keyFile'])
  })

  test('names the field of a file that holds no certificate or key', async () => {
    const garbage = await writeTemp('garbage.pem', 'not a pem file\n')
    expect(paths(configError(() => new TlsCertificateStore({ certFile: garbage, keyFile: first.keyFile })))).toEqual([
      'certificate.certFile',
    ])
    expect(paths(configError(() => new TlsCertificateStore({ certFile: first.certFile, keyFile: garbage })))).toEqual([
      'certificate.keyFile',
    ])
    expect(
      paths(
        configError(
          () => new TlsCertificateStore({ certFile: first.certFile, keyFile: first.keyFile, caFile: garbage }),
        ),
      ),
    ).toEqual(['certificate.caFile'])
  })

  test('refuses a key that does not match the certificate', () => {
    const error = configError(() => new TlsCertificateStore({ certFile: first.certFile, keyFile: second.keyFile }))
    expect(paths(error)).toEqual(['certificate.keyFile'])
  })

  test('loads an encrypted PEM key with its passphrase, and refuses a wrong or missing one', async () => {
    const encrypted = createPrivateKey(first.key).export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'open sesame',
    })
    const keyFile = await writeTemp('encrypted-key.pem', encrypted)
    const store = new TlsCertificateStore({ certFile: first.certFile, keyFile, passphrase: 'open sesame' })
    expect(store.fingerprint256).toBeDefined()
    expect(
      paths(configError(() => new TlsCertificateStore({ certFile: first.certFile, keyFile, passphrase: 'wrong' }))),
    ).toEqual(['certificate.passphrase'])
    expect(paths(configError(() => new TlsCertificateStore({ certFile: first.certFile, keyFile })))).toEqual([
      'certificate.passphrase',
    ])
  })

  test('loads a PFX file with its passphrase', () => {
    const store = new TlsCertificateStore({ pfxFile, passphrase: pfxPassphrase })
    expect(store.secureContext).toBeDefined()
    expect(store.fingerprint256).toBeUndefined()
  })

  test('refuses a PFX file with a wrong or missing passphrase at construction', () => {
    expect(paths(configError(() => new TlsCertificateStore({ pfxFile, passphrase: 'wrong' })))).toEqual([
      'certificate.passphrase',
    ])
    expect(paths(configError(() => new TlsCertificateStore({ pfxFile })))).toEqual(['certificate.passphrase'])
  })

  test('refuses a file that is not PKCS#12 as pfxFile', async () => {
    const garbage = await writeTemp('garbage.pfx', Buffer.from('definitely not pkcs12'))
    expect(paths(configError(() => new TlsCertificateStore({ pfxFile: garbage, passphrase: 'x' })))).toEqual([
      'certificate.pfxFile',
    ])
  })

  test('refuses a config without a certificate form', () => {
    expect(paths(configError(() => new TlsCertificateStore({ caFile: first.certFile } as never)))).toEqual([
      'certificate',
    ])
    expect(paths(configError(() => new TlsCertificateStore(null as never)))).toEqual(['certificate'])
  })
})

describe('TlsCertificateStore: use and reload', () => {
  test('serves a PFX certificate', async () => {
    const store = new TlsCertificateStore({ pfxFile, passphrase: pfxPassphrase })
    const ca = await readFile(pfxCertFile, 'utf8')
    const { session, client } = await tlsPair(
      { secureContext: store.secureContext, handshakeTimeOut: 2_000 },
      { ca, servername: 'localhost' },
    )
    session.start(new SessionRecorder({ echo: session }))
    client.write('pfx')
    const [reply] = await once(client, 'data', { signal: AbortSignal.timeout(2_000) })
    expect(String(reply)).toBe('pfx')
  })

  test('reload: new connections get the new certificate, open ones keep working', async () => {
    const certFile = join(dir, 'live-cert.pem')
    const keyFile = join(dir, 'live-key.pem')
    await copyFile(first.certFile, certFile)
    await copyFile(first.keyFile, keyFile)
    const store = new TlsCertificateStore({ certFile, keyFile })
    const ca = [first.cert, second.cert]
    const before = await tlsPair(
      { secureContext: store.secureContext, handshakeTimeOut: 2_000 },
      { ca, servername: 'localhost' },
    )
    before.session.start(new SessionRecorder({ echo: before.session }))
    const firstFingerprint = before.client.getPeerX509Certificate()?.fingerprint256
    expect(firstFingerprint).toBe(store.fingerprint256)

    await copyFile(second.certFile, certFile)
    await copyFile(second.keyFile, keyFile)
    await store.reload()
    expect(store.generation).toBe(2)
    expect(store.fingerprint256).not.toBe(firstFingerprint)

    const after = await tlsPair(
      { secureContext: store.secureContext, handshakeTimeOut: 2_000 },
      { ca, servername: 'second.localhost' },
    )
    expect(after.client.getPeerX509Certificate()?.fingerprint256).toBe(store.fingerprint256)
    // The connection made before the reload still works, with its certificate.
    before.client.write('still here')
    const [reply] = await once(before.client, 'data', { signal: AbortSignal.timeout(2_000) })
    expect(String(reply)).toBe('still here')
  })

  test('a failed reload keeps the current certificate', async () => {
    const certFile = join(dir, 'reload-fail-cert.pem')
    const keyFile = join(dir, 'reload-fail-key.pem')
    await copyFile(first.certFile, certFile)
    await copyFile(first.keyFile, keyFile)
    const store = new TlsCertificateStore({ certFile, keyFile })
    const context = store.secureContext
    await copyFile(second.keyFile, keyFile) // a key that does not match the certificate
    const error = await store.reload().catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_CONFIG')
    expect(paths(error as ConfigError)).toEqual(['certificate.keyFile'])
    await rm(certFile)
    const missing = await store.reload().catch((reason: unknown) => reason)
    expect(paths(missing as ConfigError)).toEqual(['certificate.certFile'])
    expect(store.secureContext).toBe(context)
    expect(store.generation).toBe(1)
    onTestFinished(() => rm(keyFile, { force: true }))
  })
})
