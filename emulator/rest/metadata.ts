import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from '../errors.js';

/**
 * Message metadata on REST sends: each `X-WebPubSub-Metadata-{key}: {value}` header becomes
 * `metadata[key]` on the message clients receive (as Microsoft's emulator does). Keys arrive
 * lower-cased (HTTP header names are case-insensitive). The limits are the ones for client
 * metadata: ASCII, key at most 256 bytes, value at most 1 KiB, 8 KiB in all.
 */

const PREFIX = 'x-webpubsub-metadata-';
const MAX_KEY_BYTES = 256;
const MAX_VALUE_BYTES = 1024;
const MAX_TOTAL_BYTES = 8 * 1024;

export type Metadata = Readonly<Record<string, string>>;

export function metadataFromHeaders(headers: IncomingHttpHeaders): Metadata | undefined {
  let metadata: Record<string, string> | undefined;
  let total = 0;
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith(PREFIX) || raw === undefined) continue;
    const key = name.slice(PREFIX.length);
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (key.length === 0 || key.length > MAX_KEY_BYTES || value.length > MAX_VALUE_BYTES || !isAscii(value)) {
      throw badRequest(
        `The metadata header '${name.slice(0, 64)}' is invalid: keys take 1-${MAX_KEY_BYTES} characters, values at most ${MAX_VALUE_BYTES} ASCII characters.`,
        'Request',
      );
    }
    total += key.length + value.length;
    if (total > MAX_TOTAL_BYTES) throw badRequest(`The message metadata exceeds ${MAX_TOTAL_BYTES} bytes.`, 'Request');
    // Keys come from the caller: a null prototype keeps `__proto__` an ordinary key.
    metadata ??= Object.create(null) as Record<string, string>;
    metadata[key] = value;
  }
  return metadata;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e) return false;
  return true;
}
