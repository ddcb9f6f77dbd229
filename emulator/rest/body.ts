import type { IncomingMessage } from 'node:http';
import { badRequest, ServiceError } from '../errors.js';

/**
 * Reading request bodies, bounded. Azure Web PubSub takes messages of up to 1 MB; a little more
 * is allowed so a payload right at the limit is not refused for a few bytes of framing, and
 * anything beyond gets 413 without being buffered.
 */
export const MAX_BODY_BYTES = 1024 * 1024 + 16 * 1024;

export const payloadTooLarge = (): ServiceError =>
  new ServiceError(413, 'Error.PayloadTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);

/** The media type of a Content-Type header, lower-cased, parameters (charset...) dropped. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type.length > 0 ? type : undefined;
}

/** Collects the body; rejects with 413 as soon as it exceeds `limit` (or says it will). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(payloadTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop taking bytes; the response (413) closes the connection.
        req.pause();
        reject(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    // A client that goes away mid-body may end the stream with neither 'end' nor 'error'.
    const onClose = (): void => {
      cleanup();
      reject(badRequest('The connection closed before the whole request body arrived.', 'Request'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
