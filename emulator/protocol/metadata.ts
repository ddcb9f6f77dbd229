/**
 * Per-message metadata sent by clients (`metadata` in JSON, a `map<string, string>` in protobuf).
 * Names become `x-webpubsub-metadata-{name}` headers upstream, so both subprotocols hold them to
 * the same rules: HTTP token names of at most 256 characters, printable ASCII values of at most
 * 1 KiB, 8 KiB in all.
 */
import type { Metadata } from './messages.js';

const MAX_METADATA_KEY_BYTES = 256;
const MAX_METADATA_VALUE_BYTES = 1024;
const MAX_METADATA_TOTAL_BYTES = 8 * 1024;
/** HTTP token characters. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** The metadata as a null-prototype object (keys come from clients), or why it is refused. */
export function readMetadata(entries: Iterable<readonly [string, unknown]>): { readonly metadata: Metadata } | { readonly problem: string } {
  const metadata = Object.create(null) as Record<string, string>;
  let total = 0;
  for (const [key, entry] of entries) {
    if (!TOKEN.test(key) || key.length > MAX_METADATA_KEY_BYTES) return { problem: 'A metadata name must be 1-256 HTTP token characters.' };
    if (typeof entry !== 'string' || !isPrintableAscii(entry) || entry.length > MAX_METADATA_VALUE_BYTES) {
      return { problem: 'A metadata value must be a string of at most 1024 printable ASCII characters.' };
    }
    // A repeated name (possible in protobuf maps) replaces the earlier value and its size.
    const previous = metadata[key];
    total += (previous === undefined ? key.length : -previous.length) + entry.length;
    if (total > MAX_METADATA_TOTAL_BYTES) return { problem: 'Metadata may not exceed 8 KiB in total.' };
    metadata[key] = entry;
  }
  return { metadata };
}

function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}
