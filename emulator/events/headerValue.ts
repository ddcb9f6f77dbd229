/**
 * Client-controlled strings (user ids, event names, metadata) end up in request headers, where
 * Node's `http.request` throws synchronously on characters it cannot write. Everything going into
 * a header passes through here first, so a crafted string fails one event instead of crashing the
 * process.
 */

/** Printable ASCII: the common case, written unchanged. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * Control characters cannot be carried at all (CR/LF would split the header), and receivers trim
 * surrounding whitespace, so " admin" would arrive as "admin". Neither is sent.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_REPRESENTABLE = /[\x00-\x1f\x7f]|^[ \t]|[ \t]$/;

/** Text that is not valid UTF-16 has no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The header value carrying `value`, or undefined when it cannot be carried faithfully. Non-ASCII
 * text is sent as its UTF-8 bytes (as the service does); Node writes a string's Latin-1 code units
 * as single bytes, so the bytes are handed over in that form.
 */
export function toHeaderValue(value: string): string | undefined {
  if (NOT_REPRESENTABLE.test(value)) return undefined;
  if (PRINTABLE_ASCII.test(value)) return value;
  if (LONE_SURROGATE.test(value)) return undefined;
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** RFC 9110 token: what a header name (and a metadata key inside one) may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const isToken = (value: string): boolean => TOKEN.test(value);

/** Values Node accepts in a header as received from a peer (used to vet what handlers send back). */
const INVALID_RECEIVED_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export const isWritableHeaderValue = (value: string): boolean => !INVALID_RECEIVED_VALUE.test(value);
