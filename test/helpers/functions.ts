/**
 * Real `@azure/functions` objects for calling handlers directly, as the host would.
 * The package is CommonJS and Node cannot see its classes as named ESM exports.
 */
import azureFunctions, { type HttpResponseInit, type LogLevel } from '@azure/functions';

export const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;
export type HttpRequestInstance = InstanceType<typeof HttpRequest>;

export interface LoggedLine {
  level: LogLevel;
  text: string;
}

/** An InvocationContext whose log lines are kept for assertions instead of printed. */
export function createContext(functionName = 'test'): { context: InstanceType<typeof InvocationContext>; logs: LoggedLine[] } {
  const logs: LoggedLine[] = [];
  const context = new InvocationContext({
    functionName,
    logHandler: (level, ...args) => logs.push({ level, text: args.map((arg) => (arg instanceof Error ? arg.stack ?? arg.message : String(arg))).join(' ') }),
  });
  return { context, logs };
}

/** The body of a handler's answer as text, whatever form it took. */
export async function responseText(init: HttpResponseInit): Promise<string> {
  return new HttpResponse(init).text();
}

export async function responseJson(init: HttpResponseInit): Promise<any> {
  return JSON.parse(await responseText(init));
}

export function headerOf(init: HttpResponseInit, name: string): string | null {
  return new HttpResponse(init).headers.get(name);
}

/** The claims of a JWT, without verifying it. */
export function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}
