/** A TLS setting that cannot be used; its message names the file or tool and what to do. */
export class TlsSetupError extends Error {
  override readonly name = 'TlsSetupError';
}
