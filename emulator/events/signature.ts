import { createHmac } from 'node:crypto';

/**
 * `ce-signature`: one `sha256=<hex HMAC-SHA256(key, connectionId)>` entry per access key, joined by
 * commas, so a handler that knows either key (primary or secondary) can verify it. The key is the
 * UTF-8 bytes of the access key string, as for tokens. Computed once per connection: it depends on
 * nothing else.
 */
export function signConnectionId(accessKeys: readonly string[], connectionId: string): string {
  return accessKeys
    .map((key) => `sha256=${createHmac('sha256', Buffer.from(key, 'utf8')).update(connectionId, 'utf8').digest('hex')}`)
    .join(',');
}
