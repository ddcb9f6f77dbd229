/**
 * What a user-event handler answered with 2xx, turned into the reply for the sender: the body
 * (when non-empty) typed by its media type, plus `x-webpubsub-metadata-*` headers as metadata.
 */
import { Header, dataTypeOfReply } from './cloudEvents.js';
import type { UpstreamResponse } from './httpTransport.js';
import type { UserEventOutcome } from './types.js';

const METADATA_PREFIX = Header.metadataPrefix;

export function parseUserEventResponse(response: UpstreamResponse): UserEventOutcome {
  const metadata = metadataOf(response.headers);
  // Empty bodies carry no reply (express's `res.success()` answers 200 with an empty octet-stream).
  if (response.body.length === 0) return metadata === undefined ? { kind: 'ok' } : { kind: 'ok', metadata };

  const contentType = response.headers['content-type']?.[0];
  const dataType = dataTypeOfReply(contentType);
  if (dataType === undefined) return { kind: 'failed', reason: `unsupported reply content type "${contentType ?? ''}"` };
  if (dataType === 'json' && !isJson(response.body)) return { kind: 'failed', reason: 'the JSON reply is not valid JSON' };
  const reply = { dataType, data: response.body };
  return metadata === undefined ? { kind: 'ok', reply } : { kind: 'ok', reply, metadata };
}

/** `x-webpubsub-metadata-{key}` response headers (last value wins), or undefined when none. */
function metadataOf(headers: NodeJS.Dict<string[]>): Readonly<Record<string, string>> | undefined {
  let metadata: Record<string, string> | undefined;
  for (const name in headers) {
    if (!name.startsWith(METADATA_PREFIX) || name.length === METADATA_PREFIX.length) continue;
    const value = headers[name]?.at(-1);
    if (value === undefined) continue;
    // No prototype: a key such as `__proto__` stays an ordinary entry.
    metadata ??= Object.create(null) as Record<string, string>;
    metadata[name.slice(METADATA_PREFIX.length)] = value;
  }
  return metadata;
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
