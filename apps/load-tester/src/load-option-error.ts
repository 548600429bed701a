/** Stable codes of {@link LoadOptionError}. */
export type LoadOptionErrorCode = 'ERR_INVALID_OPTION' | 'ERR_INVALID_TARGET'

/**
 * A load-test option or target that cannot be used (bad duration, unknown protocol, a payload that would break
 * its own framing, ...). The CLI turns it into a usage error (exit code 2). Match on {@link LoadOptionError.code},
 * never on the message.
 */
export class LoadOptionError extends Error {
  /** Stable code: `ERR_INVALID_TARGET` for the target URL, `ERR_INVALID_OPTION` for everything else. */
  readonly code: LoadOptionErrorCode
  /** The option at fault, spelled as on the command line without dashes (`duration`, `length-field-length`). */
  readonly option: string

  constructor(option: string, message: string, code: LoadOptionErrorCode = 'ERR_INVALID_OPTION') {
    super(message)
    this.name = 'LoadOptionError'
    this.code = code
    this.option = option
  }

  /** True for a {@link LoadOptionError} (checked by shape, so it also works across bundles and threads). */
  static isLoadOptionError(value: unknown): value is LoadOptionError {
    return (
      value instanceof Error &&
      (value as { code?: unknown }).code !== undefined &&
      ((value as { code?: unknown }).code === 'ERR_INVALID_OPTION' ||
        (value as { code?: unknown }).code === 'ERR_INVALID_TARGET') &&
      typeof (value as { option?: unknown }).option === 'string'
    )
  }
}
