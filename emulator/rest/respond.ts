import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { sendError, toServiceError } from '../respond.js';
import type { RestResult } from './operations/types.js';

/**
 * Writing REST answers. Errors go through the emulator's one renderer (`emulator/respond.ts`),
 * with two REST rules on top: a 401 has an empty body (an unauthenticated caller learns
 * nothing, as with the service), and a 413 closes the connection so the unread rest of the
 * body is never parsed as another request.
 */

export function sendResult(res: ServerResponse, result: RestResult): void {
  if (result.body === undefined || res.req.method === 'HEAD') {
    res.writeHead(result.status, { 'Content-Length': 0 }).end();
    return;
  }
  const text = JSON.stringify(result.body);
  res
    .writeHead(result.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
    .end(text);
}

export function sendRestError(res: ServerResponse, error: unknown, log: Logger): void {
  const serviceError = toServiceError(error, log);
  if (serviceError.status === 413) res.setHeader('Connection', 'close');
  if (serviceError.status === 401 && !res.headersSent) {
    res.writeHead(401, { 'Content-Length': 0, 'x-ms-error-code': serviceError.code }).end();
    return;
  }
  sendError(res, serviceError, log);
}
