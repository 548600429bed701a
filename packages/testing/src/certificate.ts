import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'

/** Options of {@link makeSelfSignedCertificate}. */
export interface SelfSignedCertificateOptions {
  /**
   * Subject common name; also a DNS subject alternative name (with `127.0.0.1` and `::1` as IP names).
   * @default 'localhost'
   */
  commonName?: string
  /**
   * Key type: `'ec'` (P-256, fast to make) or `'rsa'` (2048 bits).
   * @default 'ec'
   */
  keyType?: 'ec' | 'rsa'
  /**
   * Also make a client certificate signed by this certificate's key (use `certFile` as the CA file).
   * @default false
   */
  clientCertificate?: boolean
  /**
   * Validity in days from now.
   * @default 1
   */
  validDays?: number
}

/** A certificate made by {@link makeSelfSignedCertificate}, in memory and on disk. */
export interface SelfSignedCertificate {
  /** The certificate, PEM. */
  readonly cert: string
  /** Its private key, PEM (unencrypted). */
  readonly key: string
  /** `cert` written to `dir`. */
  readonly certFile: string
  /** `key` written to `dir`. */
  readonly keyFile: string
  /** With `clientCertificate`: a client certificate signed by `key` (PEM), else `undefined`. */
  readonly clientCert: string | undefined
  /** With `clientCertificate`: the client certificate's key (PEM), else `undefined`. */
  readonly clientKey: string | undefined
  /** With `clientCertificate`: `clientCert` written to `dir`, else `undefined`. */
  readonly clientCertFile: string | undefined
  /** With `clientCertificate`: `clientKey` written to `dir`, else `undefined`. */
  readonly clientKeyFile: string | undefined
  /** The temporary directory holding the files. */
  readonly dir: string
  /** Remove `dir` and its files. */
  cleanup(): Promise<void>
}

/**
 * Make a self-signed certificate for `localhost` / `127.0.0.1` / `::1` and write it to a fresh temporary
 * directory (`cert.pem`, `key.pem`, and with `clientCertificate` also `client-cert.pem`, `client-key.pem`).
 *
 * @example
 * ```ts
 * const certificate = await makeSelfSignedCertificate()
 * onTestFinished(() => certificate.cleanup())
 * const server = tls.createServer({ cert: certificate.cert, key: certificate.key })
 * tls.connect({ host: '127.0.0.1', port, ca: certificate.cert, servername: 'localhost' })
 * ```
 */
export async function makeSelfSignedCertificate(
  options: SelfSignedCertificateOptions = {},
): Promise<SelfSignedCertificate> {
  const commonName = options.commonName ?? 'localhost'
  const keyType = options.keyType ?? 'ec'
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(Date.now() + (options.validDays ?? 1) * 86_400_000)
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType,
    ...(keyType === 'rsa' ? { keySize: 2048 } : { curve: 'P-256' as const }),
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: commonName },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
    ...(options.clientCertificate === true
      ? { clientCertificate: { cn: 'socketlite test client', notBeforeDate, notAfterDate } }
      : {}),
  })
  const dir = await mkdtemp(join(tmpdir(), 'socketlite-cert-'))
  try {
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    await writeFile(certFile, pems.cert, { mode: 0o600 })
    await writeFile(keyFile, pems.private, { mode: 0o600 })
    let clientCertFile: string | undefined
    let clientKeyFile: string | undefined
    if (pems.clientcert !== undefined && pems.clientprivate !== undefined) {
      clientCertFile = join(dir, 'client-cert.pem')
      clientKeyFile = join(dir, 'client-key.pem')
      await writeFile(clientCertFile, pems.clientcert, { mode: 0o600 })
      await writeFile(clientKeyFile, pems.clientprivate, { mode: 0o600 })
    }
    return {
      cert: pems.cert,
      key: pems.private,
      certFile,
      keyFile,
      clientCert: pems.clientcert,
      clientKey: pems.clientprivate,
      clientCertFile,
      clientKeyFile,
      dir,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}
