/**
 * Chat participants for end-to-end tests: a raw WebSocket (what the tutorial's page is) and the
 * official client SDK (what the chat page uses). Each collects what the server sends.
 */
import WebSocket from 'ws';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { Inbox, withTimeout } from './waitFor.js';

export interface Participant {
  readonly inbox: Inbox<any>;
  close(): Promise<void>;
}

export interface RawParticipant extends Participant {
  readonly socket: WebSocket;
  send(text: string): void;
}

/** Opens a raw WebSocket; rejects with the HTTP status when the handshake is refused. */
export async function openRaw(url: string): Promise<RawParticipant> {
  const socket = new WebSocket(url);
  const inbox = new Inbox<any>();
  socket.on('message', (data) => {
    const text = (data as Buffer).toString('utf8');
    try {
      inbox.push(JSON.parse(text));
    } catch {
      inbox.push(text);
    }
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        resolve();
      });
      socket.once('unexpected-response', (_request, response) => {
        reject(new HandshakeRefused(response.statusCode ?? 0));
      });
      socket.once('error', reject);
    }),
    10_000,
    `WebSocket open ${url}`,
  );
  return {
    socket,
    inbox,
    send: (text) => {
      socket.send(text);
    },
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise<void>((resolve) => socket.once('close', () => {
        resolve();
      }));
      socket.close(1000);
      await withTimeout(closed, 10_000, 'WebSocket close');
    },
  };
}

export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`WebSocket handshake refused with HTTP ${status}`);
  }
}

export interface SdkParticipant extends Participant {
  readonly client: WebPubSubClient;
}

/** Starts the official client SDK with a negotiate callback, like the chat page does. */
export async function openSdk(getUrl: () => Promise<string>): Promise<SdkParticipant> {
  const client = new WebPubSubClient({ getClientAccessUrl: getUrl }, { autoReconnect: false });
  const inbox = new Inbox<any>();
  client.on('server-message', (event) => {
    inbox.push(event.message.data);
  });
  let stopped = false;
  const stoppedEvent = new Promise<void>((resolve) => {
    client.on('stopped', () => {
      stopped = true;
      resolve();
    });
  });
  await withTimeout(client.start(), 10_000, 'WebPubSubClient start');
  return {
    client,
    inbox,
    close: async () => {
      if (stopped) return;
      client.stop();
      await withTimeout(stoppedEvent, 10_000, 'WebPubSubClient stop');
    },
  };
}
