/**
 * The self-signed development certificate for `localhost`, `127.0.0.1` and `::1`. It is made once
 * with `openssl` (no dependency, and the tool people already trust) and kept in a per-user
 * directory, so its path stays the same between runs and `NODE_EXTRA_CA_CERTS` (or an OS trust
 * store) keeps trusting it. A certificate that is missing, unreadable, expiring within a day or
 * not matching its key is made again.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TlsSetupError } from './tlsSetupError.js';

export const CERTIFICATE_FILE = 'localhost-cert.pem';
export const KEY_FILE = 'localhost-key.pem';
const VALIDITY_DAYS = 365;
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;
const OPENSSL_TIMEOUT_MS = 30_000;

export interface CertificateFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certFile: string;
}

/** `$XDG_CACHE_HOME` (or `%LOCALAPPDATA%`, or `~/.cache`) + `/azure-webpubsub-emulator`. */
export function defaultCertificateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ?? (process.platform === 'win32' ? env.LOCALAPPDATA : undefined) ?? join(homedir(), '.cache');
  return join(base, 'azure-webpubsub-emulator');
}

export async function ensureDevelopmentCertificate(directory: string): Promise<CertificateFiles> {
  const certFile = join(directory, CERTIFICATE_FILE);
  const keyFile = join(directory, KEY_FILE);
  const existing = await readUsable(certFile, keyFile);
  if (existing !== undefined) return existing;

  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new TlsSetupError(`Cannot create '${directory}' for the development certificate (${(error as NodeJS.ErrnoException).code ?? String(error)}). Choose another place with --tls-dir.`);
  }
  // Written under temporary names and renamed, so a concurrent start never reads half a file.
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  try {
    await runOpenssl(certFile + suffix, keyFile + suffix);
    // Whatever the umask and the openssl version: the key is for its owner's eyes only.
    await chmod(keyFile + suffix, 0o600);
    await rename(keyFile + suffix, keyFile);
    await rename(certFile + suffix, certFile);
  } finally {
    await Promise.all([rm(certFile + suffix, { force: true }), rm(keyFile + suffix, { force: true })]);
  }
  const made = await readUsable(certFile, keyFile);
  if (made === undefined) throw new TlsSetupError(`openssl did not produce a usable certificate in '${directory}'.`);
  return made;
}

/** The files when they hold a matching pair that covers every loopback name for at least a day more. */
async function readUsable(certFile: string, keyFile: string): Promise<CertificateFiles | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    const certificate = new X509Certificate(cert);
    const fresh = Date.parse(certificate.validTo) - Date.now() > RENEW_BEFORE_MS;
    const covers = certificate.checkHost('localhost') !== undefined && certificate.checkIP('127.0.0.1') !== undefined && certificate.checkIP('::1') !== undefined;
    if (!fresh || !covers || !certificate.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { cert, key, certFile };
  } catch {
    return undefined;
  }
}

function runOpenssl(certFile: string, keyFile: string): Promise<void> {
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(VALIDITY_DAYS),
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ];
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve();
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      reject(
        new TlsSetupError(
          code === 'ENOENT'
            ? 'openssl was not found on PATH, so no development certificate can be generated. Install OpenSSL, or pass --tls-cert and --tls-key with a certificate of your own.'
            : `openssl could not generate the development certificate: ${stderr.trim() || error.message}. Pass --tls-cert and --tls-key with a certificate of your own instead.`,
        ),
      );
    });
  });
}
