/**
 * The page's Content-Security-Policy: scripts and styles from this origin only (user text can
 * never run, even if some code rendered it as HTML), WebSockets to Web PubSub only.
 */
export function contentSecurityPolicy(webPubSubEndpoint: string): string {
  const socketOrigin = webPubSubEndpoint.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "manifest-src 'self'",
    `connect-src 'self' ${socketOrigin}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
