import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Options of {@link generateSelfSignedCertificate}. */
export interface SelfSignedCertificateInit {
  /**
   * Names and addresses the certificate is valid for (subject alternative names); the first name is the common
   * name. `0.0.0.0` and `::` are skipped (a client never connects to them).
   * @default ['localhost', '127.0.0.1', '::1']
   */
  hosts?: readonly string[]
  /**
   * Validity from now, in days.
   * @default 30
   */
  validDays?: number
}

/** A certificate made by {@link generateSelfSignedCertificate}: in memory, and as PEM files in a private folder. */
export interface SelfSignedCertificate {
  /** The certificate, PEM (give it to clients as their CA: `socketlite-load --ca <certFile>`). */
  readonly cert: string
  /** Its private key, PEM, unencrypted. */
  readonly key: string
  /** `cert` on disk (mode 0600). */
  readonly certFile: string
  /** `key` on disk (mode 0600). */
  readonly keyFile: string
  /** The temporary folder holding both files. */
  readonly dir: string
  /** Removes the folder and its files. Idempotent. */
  cleanup(): Promise<void>
  /** The same, synchronously (for `process.on('exit')`). */
  cleanupSync(): void
}

const defaultHosts = ['localhost', '127.0.0.1', '::1']

/**
 * Makes a self-signed certificate (P-256 key, SHA-256, usable by servers) for `hosts` and writes it to a fresh
 * temporary folder, readable by this user only.
 *
 * @example
 * ```ts
 * const certificate = await generateSelfSignedCertificate()
 * const config = { port: 0, security: 'tls', certificate: { certFile: certificate.certFile, keyFile: certificate.keyFile } }
 * // ... later
 * await certificate.cleanup()
 * ```
 * @throws the file system's error when the folder cannot be written (nothing is left behind)
 */
export async function generateSelfSignedCertificate(
  init: SelfSignedCertificateInit = {},
): Promise<SelfSignedCertificate> {
  const hosts = [...new Set(init.hosts ?? defaultHosts)].filter((host) => host !== '0.0.0.0' && host !== '::')
  if (hosts.length === 0) hosts.push(...defaultHosts)
  const commonName = hosts.find((host) => isIP(host) === 0) ?? hosts[0] ?? 'localhost'
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(Date.now() + (init.validDays ?? 30) * 86_400_000)
  // Loaded on demand: selfsigned's crypto stack costs a noticeable part of the start-up time.
  const { generate } = await import('selfsigned')
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((host) =>
          isIP(host) === 0 ? { type: 2 as const, value: host } : { type: 7 as const, ip: host },
        ),
      },
    ],
  })
  const dir = await mkdtemp(join(tmpdir(), 'socketlite-echo-cert-'))
  const cleanupSync = (): void => rmSync(dir, { recursive: true, force: true })
  try {
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    await writeFile(certFile, pems.cert, { mode: 0o600 })
    await writeFile(keyFile, pems.private, { mode: 0o600 })
    return {
      cert: pems.cert,
      key: pems.private,
      certFile,
      keyFile,
      dir,
      cleanup: () => rm(dir, { recursive: true, force: true }),
      cleanupSync,
    }
  } catch (error) {
    cleanupSync()
    throw error
  }
}
