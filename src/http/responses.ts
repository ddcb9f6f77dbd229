import type { HttpResponseInit } from '@azure/functions';

/** Answers of the app's own API are never cached: they carry tokens or per-request results. */
const NO_STORE = { 'Cache-Control': 'no-store' } as const;

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { ...NO_STORE, ...headers } };
}

/** The one shape of every error the app answers: `{ error: { code, message } }`. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpResponseInit {
  return jsonResponse(status, { error: { code, message } }, headers);
}
