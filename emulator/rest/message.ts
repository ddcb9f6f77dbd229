import { badRequest, unsupportedMediaType } from '../errors.js';
import type { DataType, OutboundMessage } from '../hub/types.js';
import type { Metadata } from './metadata.js';

/**
 * What a REST send carries: the Content-Type says how clients see the bytes
 * (`text/plain` → text, `application/json` → json, `application/octet-stream` → binary);
 * parameters such as `charset` are ignored, text is taken as UTF-8.
 */

const DATA_TYPES: ReadonlyMap<string, DataType> = new Map<string, DataType>([
  ['text/plain', 'text'],
  ['application/json', 'json'],
  ['application/octet-stream', 'binary'],
]);

/** Decided from the header alone, before the body is read. */
export function sendDataType(mediaType: string | undefined): DataType {
  const dataType = mediaType === undefined ? undefined : DATA_TYPES.get(mediaType);
  if (dataType === undefined) {
    throw unsupportedMediaType(
      `The Content-Type '${mediaType ?? ''}' is not supported; use text/plain, application/json or application/octet-stream.`,
    );
  }
  return dataType;
}

/**
 * One message object for the whole fan-out; the bytes are handed over as received. JSON is
 * parsed once, only to refuse what clients could not parse.
 */
export function outboundMessage(dataType: DataType, body: Buffer, metadata: Metadata | undefined, group?: string): OutboundMessage {
  if (dataType === 'json') assertJson(body);
  return {
    ...(group === undefined ? { from: 'server' } : { from: 'group', group }),
    dataType,
    data: body,
    ...(metadata === undefined ? {} : { metadata }),
  };
}

export function assertJson(body: Buffer): void {
  try {
    JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not a valid JSON.', 'Request');
  }
}
