/**
 * The one place errors become HTTP: a `ServiceError` is rendered as the service's JSON error body
 * with `x-ms-error-code`; anything else is a 500 whose details go to the log only.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ServiceError } from './errors.js';
import type { Logger } from './log.js';

export function toServiceError(error: unknown, log: Logger): ServiceError {
  if (error instanceof ServiceError) return error;
  log.error(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new ServiceError(500, 'Error.InternalServerError', 'The emulator failed to process the request.');
}

export function sendError(res: ServerResponse, error: unknown, log: Logger): void {
  const serviceError = toServiceError(error, log);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: Record<string, string> = { code: serviceError.code, message: serviceError.message };
  if (serviceError.target !== undefined) body.target = serviceError.target;
  const text = JSON.stringify(body);
  res.writeHead(serviceError.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'x-ms-error-code': serviceError.code,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Refuses a WebSocket handshake with a plain HTTP status; the socket is closed afterwards. */
export function rejectUpgrade(socket: Duplex, status: number, message?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = message ?? STATUS_CODES[status] ?? '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
