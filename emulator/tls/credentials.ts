/**
 * The certificate and key the HTTPS server presents: read from the user's PEM files, or the
 * self-signed development certificate (generated on first use). Problems stop the start with a
 * message that names the file and the fix.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TlsSettings } from '../config.js';
import { defaultCertificateDirectory, ensureDevelopmentCertificate } from './selfSigned.js';
import { TlsSetupError } from './tlsSetupError.js';

export { TlsSetupError };

export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The certificate's file: what `NODE_EXTRA_CA_CERTS` should name to trust a self-signed one. */
  readonly certFile: string;
  /** True for the generated development certificate. */
  readonly selfSigned: boolean;
}

export async function loadTlsCredentials(settings: TlsSettings): Promise<TlsCredentials> {
  if (settings.kind === 'selfSigned') {
    const files = await ensureDevelopmentCertificate(settings.directory ?? defaultCertificateDirectory());
    return { ...files, selfSigned: true };
  }
  // One after the other, so a start with both files missing always names the certificate first.
  const cert = await readPem(settings.certFile, 'certificate');
  const key = await readPem(settings.keyFile, 'private key');
  checkPair(cert, key, settings);
  return { cert, key, certFile: settings.certFile, selfSigned: false };
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TlsSetupError(`Cannot read the TLS ${what} '${path}' (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}). Check the path, or use --tls for a generated development certificate.`);
  }
}

/** A certificate and key that do not parse or do not belong together fail here, not on the first connection. */
function checkPair(cert: Buffer, key: Buffer, files: { certFile: string; keyFile: string }): void {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new TlsSetupError(`'${files.certFile}' is not a PEM certificate.`);
  }
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsSetupError(`'${files.keyFile}' is not an unencrypted PEM private key.`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsSetupError(`The private key '${files.keyFile}' does not belong to the certificate '${files.certFile}'.`);
  }
}
