import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHAT_HUB, startChatStack, type ChatStack } from '../helpers/chatStack.js';
import { openRaw } from '../helpers/chatClients.js';

const WEBHOOK_KEY = 'e2e-shared-webhook-key-0123456789';

void describe('chat end to end with a shared webhook key (?key= in the event handler URL)', () => {
  let stack: ChatStack;

  before(async () => {
    stack = await startChatStack({ webhookKey: WEBHOOK_KEY });
  });

  after(async () => {
    await stack.close();
  });

  void it('accepts events that carry the key, and the chat works', async () => {
    const erin = await openRaw(`${stack.emulator.endpoint.replace('http', 'ws')}/client/hubs/${CHAT_HUB}?id=erin`);
    try {
      erin.send('keyed hello');
      const message = await erin.inbox.next((payload) => payload?.kind === 'message', 'erin gets her message');
      assert.equal(message.from, 'erin');
      assert.equal(message.message, 'keyed hello');
    } finally {
      await erin.close();
    }
  });
});
