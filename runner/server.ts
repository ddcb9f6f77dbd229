import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import azureFunctions, { type HttpResponseInit, type LogLevel } from '@azure/functions';
import type { FunctionDescriptor } from '../src/functions/index.js';
import { compileRoute, matchRoute, sortRoutes, type CompiledRoute } from './routes.js';

// @azure/functions is CommonJS and Node cannot see these classes as named ESM exports.
const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

/** The Functions host's default request body limit is far larger; this is plenty for a chat. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The host answers this (reserved) route with its state; `npm start` polls it for health. */
export const HOST_STATUS_PATH = '/admin/host/status';

export type RunnerLog = (level: LogLevel, message: string) => void;

export interface RunnerOptions {
  readonly functions: readonly FunctionDescriptor[];
  readonly log?: RunnerLog;
  readonly maxBodyBytes?: number;
}

/** Logs to the console, errors to stderr. */
export const consoleLog: RunnerLog = (level, message) => {
  if (level === 'error' || level === 'critical' || level === 'warning') console.error(message);
  else console.log(message);
};

/**
 * A local stand-in for the Azure Functions host, serving HTTP functions the way it does: routes
 * with parameters (most specific first), the function's methods only (405 otherwise), 404 for
 * unknown paths, a real `HttpRequest` and `InvocationContext` for every call, and a 500 with an
 * empty body when a function throws (the stack goes to the log, never to the client).
 */
export function createRunner(options: RunnerOptions): Server {
  const log = options.log ?? consoleLog;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const routes = sortRoutes(options.functions.map((descriptor) => compileRoute(descriptor.route, descriptor)));
  return createServer((req, res) => {
    const started = performance.now();
    serve(req, res, routes, log, maxBodyBytes)
      .catch((error: unknown) => {
        log('error', `runner: ${describe(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      })
      .finally(() => {
        log('information', `${req.method ?? '?'} ${req.url ?? ''} ${res.statusCode} ${Math.round(performance.now() - started)}ms`);
      });
  });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  routes: readonly CompiledRoute<FunctionDescriptor>[],
  log: RunnerLog,
  maxBodyBytes: number,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  if (url.pathname === HOST_STATUS_PATH && method === 'GET') {
    send(res, 200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ state: 'Running' }));
    return;
  }

  let pathMatched = false;
  let match: { descriptor: FunctionDescriptor; params: Record<string, string> } | undefined;
  for (const route of routes) {
    const params = matchRoute(route, url.pathname);
    if (params === undefined) continue;
    pathMatched = true;
    if (route.target.methods.includes(method as FunctionDescriptor['methods'][number])) {
      match = { descriptor: route.target, params };
      break;
    }
  }
  if (match === undefined) {
    await drain(req);
    send(res, pathMatched ? 405 : 404, {});
    return;
  }

  const body = await readBody(req, maxBodyBytes);
  if (body === undefined) {
    send(res, 413, {});
    return;
  }
  const { descriptor, params } = match;
  const request = new HttpRequest({
    method,
    url: url.href,
    headers: joinHeaders(req),
    params,
    ...(method === 'GET' || method === 'HEAD' || body.byteLength === 0 ? {} : { body: { bytes: body } }),
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: descriptor.name,
    logHandler: (level, ...args) => {
      log(level, `[${descriptor.name}] ${args.map(describe).join(' ')}`);
    },
  });

  let result: HttpResponseInit | InstanceType<typeof HttpResponse> | undefined;
  try {
    result = await descriptor.handler(request, context);
  } catch (error) {
    log('error', `[${descriptor.name}] failed: ${describe(error)}`);
    send(res, 500, {});
    return;
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  send(res, response.status, headers, method === 'HEAD' ? undefined : bytes);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: string | Buffer): void {
  res.writeHead(status, { ...headers, 'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)) });
  res.end(body);
}

/** `HttpRequest` takes one string per header, as the host passes them: repeated ones joined. */
function joinHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // Answer 413 now; the rest of the body is read and dropped, never held.
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => {
      resolve(Buffer.concat(chunks, Math.min(total, maxBytes)));
    });
    req.once('error', reject);
  });
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard: the answer does not depend on the body
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.stack ?? value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
