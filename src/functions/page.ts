import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { StaticFiles } from '../http/staticFiles.js';
import { getServices } from '../services.js';
import type { FunctionDescriptor } from './descriptor.js';

export interface PageDependencies {
  readonly staticFiles: StaticFiles;
  readonly contentSecurityPolicy: string;
}

/** `GET /{*path}`: the chat page and its assets from `public/`. */
export async function servePage(request: HttpRequest, _context: InvocationContext, deps: PageDependencies): Promise<HttpResponseInit> {
  const file = deps.staticFiles.lookup(request.params.path ?? '');
  if (file === undefined) {
    return { status: 404, body: 'Not found', headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' } };
  }
  const body = await deps.staticFiles.read(file);
  return {
    status: 200,
    body,
    headers: {
      'Content-Type': file.contentType,
      'Content-Security-Policy': deps.contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      // Small files that change with every deploy: revalidate rather than cache stale code.
      'Cache-Control': 'no-cache',
    },
  };
}

export const pageFunction: FunctionDescriptor = {
  name: 'page',
  route: '{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) => servePage(request, context, getServices()),
};
