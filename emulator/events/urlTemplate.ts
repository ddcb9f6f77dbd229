/**
 * Event handler URL templates: `{hub}` and `{event}` are the only placeholders (there is no
 * `{category}` in Web PubSub), their values are URL-escaped, and the scheme and host are never
 * templated, so no client-chosen name can send a request to another server. The expanded path is
 * concatenated, never re-parsed: a URL parser would resolve `..` segments and let a name climb out
 * of the handler's path.
 */

export interface UpstreamTarget {
  /** The expanded URL, also the key of the abuse-protection cache. */
  readonly url: string;
  readonly protocol: 'http:' | 'https:';
  /** Without IPv6 brackets, as `http.request` wants it. */
  readonly hostname: string;
  readonly port: number | undefined;
  /** `user:password` from the template, when it has them. */
  readonly auth: string | undefined;
  /** Path and query, sent as is. */
  readonly path: string;
}

export interface UrlTemplate {
  readonly template: string;
  /** Where an event of `hub` named `event` goes; both are escaped here. */
  expand(hub: string, event: string): UpstreamTarget;
}

type Part = { readonly literal: string } | { readonly placeholder: 'hub' | 'event' };

const ORIGIN = /^(https?):\/\/([^/?#]*)(.*)$/is;
const PLACEHOLDER = /\{(hub|event)\}/gi;
/** Printable ASCII without space: what `http.request` sends in a path without complaint. */
const PATH_TEXT = /^[\x21-\x7e]*$/;
/** Expanded targets kept per template; names are client-chosen, so the cache is bounded. */
const MAX_CACHED_TARGETS = 1024;

/** Throws an Error naming the problem when the template is unusable (checked once, at start). */
export function compileUrlTemplate(template: string): UrlTemplate {
  const match = ORIGIN.exec(template);
  const scheme = match?.[1];
  const authority = match?.[2];
  const rest = match?.[3];
  if (scheme === undefined || authority === undefined || rest === undefined || authority === '') {
    throw new Error(`event handler urlTemplate "${template}" must be an absolute http:// or https:// URL`);
  }
  if (authority.search(PLACEHOLDER) !== -1) {
    throw new Error(`event handler urlTemplate "${template}" may use {hub} and {event} only after the host`);
  }
  const origin = new URL(`${scheme}://${authority}`);
  const parts = splitPath(rest.startsWith('/') ? rest : `/${rest}`, template);

  const base = {
    protocol: origin.protocol === 'https:' ? 'https:' : 'http:',
    hostname: origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname,
    port: origin.port === '' ? undefined : Number(origin.port),
    auth: origin.username === '' ? undefined
      : `${decodeURIComponent(origin.username)}:${decodeURIComponent(origin.password)}`,
  } as const;
  const prefix = `${origin.protocol}//${origin.host}`;
  const cache = new Map<string, UpstreamTarget>();

  return {
    template,
    expand(hub, event) {
      const key = `${hub}/${event}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      let path = '';
      for (const part of parts) {
        path += 'literal' in part ? part.literal : escapeValue(part.placeholder === 'hub' ? hub : event);
      }
      const target: UpstreamTarget = { ...base, url: `${prefix}${path}`, path };
      if (cache.size >= MAX_CACHED_TARGETS) cache.clear();
      cache.set(key, target);
      return target;
    },
  };
}

function splitPath(path: string, template: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  const addLiteral = (text: string): void => {
    if (!PATH_TEXT.test(text)) {
      throw new Error(`event handler urlTemplate "${template}" has characters that must be percent-encoded`);
    }
    if (text !== '') parts.push({ literal: text });
  };
  for (const match of path.matchAll(PLACEHOLDER)) {
    addLiteral(path.slice(last, match.index));
    parts.push({ placeholder: match[1]?.toLowerCase() === 'hub' ? 'hub' : 'event' });
    last = match.index + match[0].length;
  }
  addLiteral(path.slice(last));
  return parts;
}

/** URL-escapes a value; `.` and `..` are escaped too, so they are never path segments. */
function escapeValue(value: string): string {
  if (value === '.' || value === '..') return value.replaceAll('.', '%2E');
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate: escape the replacement character instead of throwing.
    return encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
  }
}
