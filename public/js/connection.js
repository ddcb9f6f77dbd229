// The chat's connection to Web PubSub: a token from /negotiate, then @azure/web-pubsub-client,
// which reconnects by itself (asking /negotiate again for a fresh token when it must).
import { WebPubSubClient } from '../vendor/webpubsub-client.js';

/** Thrown when /negotiate refuses the name: retrying cannot help, the user must pick another. */
export class NameRefusedError extends Error {}

/** @param {string} name */
async function negotiate(name) {
  const response = await fetch(`negotiate?id=${encodeURIComponent(name)}`, { cache: 'no-store' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body?.error?.message ?? `The server answered ${response.status}.`;
    throw response.status === 400 || response.status === 401 ? new NameRefusedError(message) : new Error(message);
  }
  if (typeof body.url !== 'string') throw new Error('The server sent no connection URL.');
  return body.url;
}

/**
 * @typedef {'connecting' | 'connected' | 'reconnecting' | 'offline'} ConnectionState
 * @param {{ name: string, onPayload: (payload: unknown) => void, onState: (state: ConnectionState, detail?: string) => void }} options
 */
export async function connectChat({ name, onPayload, onState }) {
  // Checked up front so a refused name is reported before anything connects.
  const firstUrl = await negotiate(name);
  let pendingUrl = firstUrl;
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      const url = pendingUrl ?? (await negotiate(name));
      pendingUrl = undefined;
      return url;
    },
  });
  client.on('connected', () => onState('connected'));
  client.on('disconnected', (event) => onState('reconnecting', event.message));
  client.on('stopped', () => onState('offline'));
  client.on('server-message', (event) => onPayload(event.message.data));

  onState('connecting');
  await client.start();
  return {
    /** @param {string} text */
    async send(text) {
      // Resolves once the server has handled it (an ack), rejects when it could not.
      await client.sendEvent('message', text, 'text');
    },
    async restart() {
      onState('connecting');
      await client.start();
    },
    stop() {
      client.stop();
    },
  };
}
