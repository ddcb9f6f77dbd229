// One stack per file: the app reads its settings once per process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHAT_HUB, startChatStack, type ChatStack } from '../helpers/chatStack.js';
import { HandshakeRefused, openRaw } from '../helpers/chatClients.js';

const WEBHOOK_KEY = 'e2e-shared-webhook-key-0123456789';

void describe('chat end to end when the event handler URL lacks the key', () => {
  let stack: ChatStack;

  before(async () => {
    stack = await startChatStack({ webhookKey: WEBHOOK_KEY, keyInUrl: false });
  });

  after(async () => {
    await stack.close();
  });

  void it('refuses every event, so nobody can connect by lazy auth', async () => {
    await assert.rejects(openRaw(`${stack.emulator.endpoint.replace('http', 'ws')}/client/hubs/${CHAT_HUB}?id=erin`), (error: unknown) => {
      assert.ok(error instanceof HandshakeRefused);
      assert.equal(error.status, 401);
      return true;
    });
  });
});
