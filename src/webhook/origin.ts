/**
 * Abuse protection: Web PubSub names itself in `WebHook-Request-Origin` (its host name, some
 * versions with a port). Only exact host names from the allow list pass; a list of several
 * origins in one header, a scheme or a path never does.
 */
export function allowedOrigin(header: string | null, allowed: readonly string[]): string | undefined {
  if (header === null) return undefined;
  const origin = header.trim().toLowerCase();
  if (origin === '' || origin.length > 255) return undefined;
  const host = hostOf(origin);
  return host !== undefined && allowed.includes(host) ? header.trim() : undefined;
}

/** `host` or `host:port` → host; anything else (commas, spaces, schemes, paths) → undefined. */
function hostOf(origin: string): string | undefined {
  const match = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(origin);
  return match?.[1];
}
