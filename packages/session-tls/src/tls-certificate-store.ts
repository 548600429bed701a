import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import tls from 'node:tls'
import { type CertificateConfig, ConfigError, type ConfigIssue, type TlsVersion } from '@socketlite/socket-base'

/** Options of {@link TlsCertificateStore} besides the certificate itself. */
export interface TlsCertificateStoreOptions {
  /**
   * Relative file names in the certificate config are resolved against this directory.
   * @default process.cwd()
   */
  baseDir?: string
  /**
   * Dotted path of the certificate config inside the server config, used in {@link ConfigError} issue paths.
   * @default 'certificate'
   */
  configPath?: string
}

/** The bytes of every file a certificate config names. */
interface CertificateFiles {
  cert?: Buffer
  key?: Buffer
  pfx?: Buffer
  ca?: Buffer
}

/** What one successful load produced. */
interface LoadedCertificate {
  readonly secureContext: tls.SecureContext
  readonly fingerprint256: string | undefined
  readonly validTo: Date | undefined
}

type FileField = 'certFile' | 'keyFile' | 'pfxFile' | 'caFile'

const fileFields: readonly FileField[] = ['certFile', 'keyFile', 'pfxFile', 'caFile']
const filesKey: Record<FileField, keyof CertificateFiles> = {
  certFile: 'cert',
  keyFile: 'key',
  pfxFile: 'pfx',
  caFile: 'ca',
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const first = error.message.split('\n')[0] ?? ''
    return typeof code === 'string' && !first.includes(code) ? `${code}: ${first}` : first
  }
  return String(error)
}

/**
 * The server certificate of a TLS listener (SuperSocket's `CertificateManager`): it reads the files a
 * `CertificateConfig` names (PEM `certFile` + `keyFile` with an optional key `passphrase`, or a PKCS#12 `pfxFile`
 * with its `passphrase`, plus an optional `caFile` for client certificates) into a `tls.SecureContext` with
 * `minVersion` (default `'TLSv1.2'`), and can re-read them later.
 *
 * Loading is eager and strict: a missing or unreadable file, a file that holds no certificate or key, a wrong
 * passphrase, or a key that does not match the certificate is a {@link ConfigError} naming the field
 * (`certificate.keyFile`, `certificate.passphrase`, ...), thrown by the constructor, not at the first connection.
 *
 * @example
 * ```ts
 * const store = new TlsCertificateStore({ certFile: 'cert.pem', keyFile: 'key.pem' })
 * const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: store.secureContext })
 * // later, after the files were renewed on disk:
 * await store.reload() // new connections use the new certificate; open ones keep theirs
 * ```
 */
export class TlsCertificateStore {
  readonly #config: Readonly<CertificateConfig>
  readonly #baseDir: string
  readonly #configPath: string
  #loaded: LoadedCertificate
  #generation = 1
  #loadedAt: Date

  /**
   * Read the files and build the secure context now.
   * @throws {ConfigError} a file is missing or unreadable, holds no usable certificate or key, the passphrase is
   *   wrong or missing, or the key does not match the certificate (every problem found is listed in `issues`).
   */
  constructor(config: CertificateConfig, options: TlsCertificateStoreOptions = {}) {
    if (typeof config !== 'object' || config === null) {
      throw new ConfigError([{ path: options.configPath ?? 'certificate', message: 'must be an object' }])
    }
    this.#config = Object.freeze({ ...config })
    this.#baseDir = options.baseDir ?? process.cwd()
    this.#configPath = options.configPath ?? 'certificate'
    this.#loaded = this.#build(this.#readSync())
    this.#loadedAt = new Date()
  }

  /** The current secure context: pass it to each new `tls.TLSSocket`. Replaced by {@link TlsCertificateStore.reload}. */
  get secureContext(): tls.SecureContext {
    return this.#loaded.secureContext
  }

  /** True when clients must present a certificate signed by `caFile` (`clientCertificateRequired`). */
  get clientCertificateRequired(): boolean {
    return this.#config.clientCertificateRequired === true
  }

  /** The lowest TLS version accepted. */
  get minVersion(): TlsVersion {
    return this.#config.minVersion ?? 'TLSv1.2'
  }

  /** SHA-256 fingerprint of the server certificate (`AA:BB:...`), for PEM certificates; `undefined` for PFX. */
  get fingerprint256(): string | undefined {
    return this.#loaded.fingerprint256
  }

  /** End of the server certificate's validity, for PEM certificates; `undefined` for PFX. */
  get validTo(): Date | undefined {
    return this.#loaded.validTo
  }

  /** 1 after construction, incremented by each successful reload. */
  get generation(): number {
    return this.#generation
  }

  /** When the files were last loaded successfully. */
  get loadedAt(): Date {
    return new Date(this.#loadedAt)
  }

  /**
   * Re-read the files (asynchronously) and switch to the new secure context. Connections made from now on use it;
   * connections already made keep theirs. On failure the current context stays in use.
   * @throws {ConfigError} as the constructor.
   */
  async reload(): Promise<void> {
    const files = await this.#read()
    this.#loaded = this.#build(files)
    this.#generation += 1
    this.#loadedAt = new Date()
  }

  #path(file: string): string {
    return isAbsolute(file) ? file : resolve(this.#baseDir, file)
  }

  #fields(): FileField[] {
    return fileFields.filter((field) => typeof this.#config[field as keyof CertificateConfig] === 'string')
  }

  #fileName(field: FileField): string {
    return this.#config[field as keyof CertificateConfig] as string
  }

  #readSync(): CertificateFiles {
    const files: CertificateFiles = {}
    const issues: ConfigIssue[] = []
    for (const field of this.#fields()) {
      try {
        files[filesKey[field]] = readFileSync(this.#path(this.#fileName(field)))
      } catch (error) {
        issues.push(this.#issue(field, `cannot read "${this.#fileName(field)}": ${errorText(error)}`))
      }
    }
    if (issues.length > 0) throw new ConfigError(issues)
    return files
  }

  async #read(): Promise<CertificateFiles> {
    const fields = this.#fields()
    const results = await Promise.allSettled(fields.map((field) => readFile(this.#path(this.#fileName(field)))))
    const files: CertificateFiles = {}
    const issues: ConfigIssue[] = []
    results.forEach((result, index) => {
      const field = fields[index] as FileField
      if (result.status === 'fulfilled') files[filesKey[field]] = result.value
      else issues.push(this.#issue(field, `cannot read "${this.#fileName(field)}": ${errorText(result.reason)}`))
    })
    if (issues.length > 0) throw new ConfigError(issues)
    return files
  }

  #issue(field: string, message: string): ConfigIssue {
    return { path: `${this.#configPath}.${field}`, message }
  }

  #build(files: CertificateFiles): LoadedCertificate {
    const config = this.#config
    const issues: ConfigIssue[] = []
    const options: tls.SecureContextOptions = { minVersion: this.minVersion }
    let fingerprint256: string | undefined
    let validTo: Date | undefined
    if (files.ca !== undefined) {
      // createSecureContext ignores a CA file it cannot parse: check it ourselves.
      try {
        if (!files.ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in the file')
        void new X509Certificate(files.ca)
        options.ca = files.ca
      } catch (error) {
        issues.push(this.#issue('caFile', `not a PEM CA certificate: ${errorText(error)}`))
      }
    }
    const passphrase = config.passphrase
    if (files.pfx !== undefined) {
      options.pfx = files.pfx
      if (passphrase !== undefined) options.passphrase = passphrase
    } else if (files.cert !== undefined && files.key !== undefined) {
      try {
        const certificate = new X509Certificate(files.cert)
        fingerprint256 = certificate.fingerprint256
        validTo = new Date(certificate.validTo)
        options.cert = files.cert
      } catch (error) {
        issues.push(this.#issue('certFile', `not a PEM certificate: ${errorText(error)}`))
      }
      try {
        createPrivateKey(passphrase === undefined ? { key: files.key } : { key: files.key, passphrase })
        options.key = files.key
        if (passphrase !== undefined) options.passphrase = passphrase
      } catch (error) {
        const encrypted = files.key.includes('ENCRYPTED')
        issues.push(
          encrypted
            ? this.#issue(
                'passphrase',
                `${passphrase === undefined ? 'missing' : 'wrong'} passphrase for the encrypted key: ${errorText(error)}`,
              )
            : this.#issue('keyFile', `not a usable PEM private key: ${errorText(error)}`),
        )
      }
    } else {
      issues.push({ path: this.#configPath, message: 'needs { certFile, keyFile } or { pfxFile }' })
    }
    if (issues.length > 0) throw new ConfigError(issues)
    let secureContext: tls.SecureContext
    try {
      secureContext = tls.createSecureContext(options)
    } catch (error) {
      throw new ConfigError([this.#contextIssue(error, files.pfx !== undefined)], { cause: error })
    }
    return { secureContext, fingerprint256, validTo }
  }

  #contextIssue(error: unknown, pfx: boolean): ConfigIssue {
    const text = errorText(error)
    if (pfx) {
      return /mac verify|password|passphrase|decrypt/i.test(text)
        ? this.#issue(
            'passphrase',
            `${this.#config.passphrase === undefined ? 'missing' : 'wrong'} passphrase for the PFX file: ${text}`,
          )
        : this.#issue('pfxFile', `not a usable PKCS#12 (PFX) file: ${text}`)
    }
    if (/mismatch/i.test(text)) return this.#issue('keyFile', `the key does not match the certificate: ${text}`)
    return this.#issue('certFile', `cannot use the certificate: ${text}`)
  }
}
