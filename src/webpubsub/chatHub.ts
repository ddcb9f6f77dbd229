import type { WebPubSubServiceClient } from '@azure/web-pubsub';
import type { ChatPayload } from '../chat/payloads.js';

/** A client access token and the URLs to use it with. */
export interface ClientAccess {
  /** `ws(s)://host/client/hubs/{hub}?access_token=...`: what the tutorial's page opens. */
  readonly url: string;
  readonly baseUrl: string;
  readonly token: string;
}

/** What the functions need from Web PubSub; tests substitute fakes. */
export interface ChatHub {
  /** Broadcasts a JSON payload to every connection of the hub. */
  sendToAll(payload: ChatPayload): Promise<void>;
  /** A token for `userId`, without roles: chat clients only send events, which needs none. */
  issueClientAccess(userId: string, lifetimeMinutes: number): Promise<ClientAccess>;
}

export function createChatHub(client: WebPubSubServiceClient): ChatHub {
  return {
    async sendToAll(payload) {
      await client.sendToAll(payload);
    },
    async issueClientAccess(userId, lifetimeMinutes) {
      const { url, baseUrl, token } = await client.getClientAccessToken({ userId, expirationTimeInMinutes: lifetimeMinutes });
      return { url, baseUrl, token };
    },
  };
}
