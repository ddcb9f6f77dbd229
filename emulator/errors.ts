/**
 * The one error type of the emulator: it carries what the service would answer (HTTP status and
 * the `code` of the JSON error body / `x-ms-error-code` header). Edges render it; nothing else does.
 */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  /** Where the problem is, as in the service's `ErrorDetail.target` (e.g. `Request`, a parameter name). */
  readonly target: string | undefined;

  constructor(status: number, code: string, message: string, target?: string) {
    super(message);
    this.name = 'ServiceError';
    this.status = status;
    this.code = code;
    this.target = target;
  }
}

export const badRequest = (message: string, target?: string): ServiceError =>
  new ServiceError(400, 'Error.BadRequest', message, target);

export const unauthorized = (message: string): ServiceError => new ServiceError(401, 'Error.Unauthorized', message);

export const forbidden = (message: string): ServiceError => new ServiceError(403, 'Error.Forbidden', message);

export const notFound = (message: string, target?: string): ServiceError =>
  new ServiceError(404, 'Error.NotFound', message, target);

export const conflict = (message: string): ServiceError => new ServiceError(409, 'Error.Conflict', message);

export const unsupportedMediaType = (message: string): ServiceError =>
  new ServiceError(415, 'Error.UnsupportedMediaType', message);

/** A part of the service the emulator does not model. Says what, so nobody mistakes it for a bug. */
export const notImplemented = (what: string): ServiceError =>
  new ServiceError(501, 'Error.NotImplemented', `${what} is not supported by the local emulator.`);
