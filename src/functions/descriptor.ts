import type { HttpHandler, HttpMethod } from '@azure/functions';

/**
 * One HTTP function: everything `app.http(name, options)` needs. The registry lists these so the
 * Functions host (through src/index.ts), the local runner and the tests share one definition.
 */
export interface FunctionDescriptor {
  readonly name: string;
  /** Functions route template (host.json routePrefix is ""), e.g. `negotiate` or `{*path}`. */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
  readonly authLevel: 'anonymous' | 'function' | 'admin';
  readonly handler: HttpHandler;
}
