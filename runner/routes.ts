/**
 * Functions route templates (`negotiate`, `items/{id}`, `{page?}`, `{*path}`), matched the way
 * the host's ASP.NET Core routing does for these forms: literal segments case-insensitively,
 * `{name:constraint}` with the constraint ignored, a trailing slash ignored, and the most specific
 * template first (literal, then parameter, then optional, then catch-all).
 */

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string; readonly optional: boolean }
  | { readonly kind: 'catchAll'; readonly name: string };

export interface CompiledRoute<T> {
  readonly template: string;
  readonly segments: readonly Segment[];
  readonly target: T;
}

export class RouteTemplateError extends Error {
  override readonly name = 'RouteTemplateError';
}

export function compileRoute<T>(template: string, target: T): CompiledRoute<T> {
  const parts = template.replace(/^\/+|\/+$/g, '').split('/').filter((part) => part !== '');
  const segments = parts.map((part, index): Segment => {
    if (!part.startsWith('{')) {
      if (part.includes('{') || part.includes('}')) throw new RouteTemplateError(`Unsupported route segment ${part} in ${template}`);
      return { kind: 'literal', text: part.toLowerCase() };
    }
    if (!part.endsWith('}')) throw new RouteTemplateError(`Unsupported route segment ${part} in ${template}`);
    const inner = part.slice(1, -1);
    const name = (inner.split(':')[0] ?? '').replace(/^\*+/, '').replace(/\?$/, '');
    if (name === '') throw new RouteTemplateError(`Route parameter without a name in ${template}`);
    if (inner.startsWith('*')) {
      if (index !== parts.length - 1) throw new RouteTemplateError(`A catch-all parameter must be last in ${template}`);
      return { kind: 'catchAll', name };
    }
    return { kind: 'param', name, optional: inner.split(':')[0]?.endsWith('?') ?? false };
  });
  return { template, segments, target };
}

const RANK: Record<Segment['kind'] | 'optional', number> = { literal: 0, param: 1, optional: 2, catchAll: 3 };

function rank(segment: Segment): number {
  return segment.kind === 'param' && segment.optional ? RANK.optional : RANK[segment.kind];
}

/** Most specific first, so the first match wins. */
export function sortRoutes<T>(routes: readonly CompiledRoute<T>[]): CompiledRoute<T>[] {
  return [...routes].sort((a, b) => {
    const length = Math.max(a.segments.length, b.segments.length);
    for (let i = 0; i < length; i++) {
      const left = a.segments[i];
      const right = b.segments[i];
      if (left === undefined) return right === undefined ? 0 : -1;
      if (right === undefined) return 1;
      const difference = rank(left) - rank(right);
      if (difference !== 0) return difference;
    }
    return 0;
  });
}

/**
 * Matches a URL path (still percent-encoded) against a template; the parameters come back
 * decoded, except that an encoded `/` stays `%2F` as in ASP.NET Core. Malformed escapes do not
 * match anything.
 */
export function matchRoute<T>(route: CompiledRoute<T>, pathname: string): Record<string, string> | undefined {
  const parts = pathname.replace(/^\/+/, '').replace(/\/$/, '').split('/');
  if (parts.length === 1 && parts[0] === '') parts.length = 0;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i];
    if (segment === undefined) break;
    if (segment.kind === 'catchAll') {
      const rest = decode(parts.slice(i).join('/'));
      if (rest === undefined) return undefined;
      params[segment.name] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) {
      if (segment.kind === 'param' && segment.optional) continue;
      return undefined;
    }
    const value = decode(part);
    if (value === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (value.toLowerCase() !== segment.text) return undefined;
    } else {
      params[segment.name] = value;
    }
  }
  return parts.length <= route.segments.length ? params : undefined;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/%2f/gi, '%252F'));
  } catch {
    return undefined;
  }
}
