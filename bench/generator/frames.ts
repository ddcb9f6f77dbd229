/**
 * Reading the few numbers the generator needs straight from frame bytes, without parsing JSON:
 * at tens of thousands of deliveries per second the load generator must stay cheaper than the
 * server it measures. Every function works on a byte range of a (shared) buffer.
 */

const SEQ_KEY = Buffer.from('"s":');
const SEQ_MARKER = Buffer.from('#s=');
const SEQUENCE_ID_KEY = Buffer.from('"sequenceId":');

/** Where `needle` starts inside data[start..end), or -1. */
export function find(data: Buffer, needle: Buffer, start: number, end: number): number {
  const at = data.indexOf(needle, start);
  return at >= 0 && at + needle.length <= end ? at : -1;
}

/** The unsigned integer after `key` (optional spaces allowed) inside data[start..end), or -1. */
export function readUintAfter(data: Buffer, key: Buffer, start: number, end: number): number {
  const at = find(data, key, start, end);
  if (at < 0) return -1;
  let i = at + key.length;
  while (i < end && data[i] === 0x20) i += 1;
  let value = -1;
  for (; i < end; i += 1) {
    const c = data[i]!;
    if (c < 0x30 || c > 0x39) break;
    value = (value < 0 ? 0 : value * 10) + (c - 0x30);
  }
  return value;
}

/**
 * The benchmark message number: `"s":N` in JSON payloads, or `#s=N` inside chat text (which the
 * chat path wraps in its own JSON).
 */
export function readSeq(data: Buffer, start: number, end: number): number {
  const seq = readUintAfter(data, SEQ_KEY, start, end);
  return seq >= 0 ? seq : readUintAfter(data, SEQ_MARKER, start, end);
}

/** Chat text of about `chars` characters carrying message number `seq`. */
export function makeChatText(seq: number, chars: number): string {
  const head = `#s=${seq}# `;
  return head + 'x'.repeat(Math.max(0, chars - head.length));
}

/** The reliable protocol's `sequenceId`, or -1. */
export function readSequenceId(data: Buffer, start: number, end: number): number {
  return readUintAfter(data, SEQUENCE_ID_KEY, start, end);
}

export function startsWith(data: Buffer, start: number, end: number, prefix: Buffer): boolean {
  return end - start >= prefix.length && data.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
}

/**
 * A benchmark payload of about `bytes` bytes of JSON: `{"s":<seq>,"p":<publisher>,"t":<ms>,"x":"…"}`.
 * The receivers only read `s`; the intended send time follows from the schedule.
 */
export function makePayload(seq: number, publisher: number, intendedMs: number, bytes: number): string {
  const head = `{"s":${seq},"p":${publisher},"t":${intendedMs.toFixed(3)},"x":"`;
  const padding = Math.max(0, bytes - head.length - 2);
  return `${head}${'x'.repeat(padding)}"}`;
}
