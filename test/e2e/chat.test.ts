import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startChatStack, type ChatStack, CHAT_HUB } from '../helpers/chatStack.js';
import { HandshakeRefused, openRaw, openSdk, type Participant, type RawParticipant, type SdkParticipant } from '../helpers/chatClients.js';

const isMessage = (from: string, message: string) => (payload: any): boolean => payload?.kind === 'message' && payload.from === from && payload.message === message;
const isNotice = (kind: 'joined' | 'left', user: string) => (payload: any): boolean => payload?.kind === kind && payload.user === user;

void describe('chat end to end: emulator + runner + functions', () => {
  let stack: ChatStack;
  let alice: RawParticipant;
  let bob: SdkParticipant;
  const opened: Participant[] = [];

  before(async () => {
    stack = await startChatStack();
  });

  after(async () => {
    await Promise.allSettled(opened.map((participant) => participant.close()));
    await stack.close();
  });

  void it('two users negotiate and connect: raw WebSocket and the client SDK', async () => {
    const negotiated = await stack.negotiate('alice');
    assert.equal(negotiated.userId, 'alice');
    assert.equal(negotiated.baseUrl, `${stack.emulator.endpoint.replace('http', 'ws')}/client/hubs/${CHAT_HUB}`);
    alice = await openRaw(negotiated.url);
    opened.push(alice);
    bob = await openSdk(async () => (await stack.negotiate('bob')).url);
    opened.push(bob);
  });

  void it('announces joins to everyone', async () => {
    await alice.inbox.next(isNotice('joined', 'bob'), 'alice sees bob join');
    await bob.inbox.next(isNotice('joined', 'bob'), 'bob sees himself join');
    const notice = await alice.inbox.next(isNotice('joined', 'bob'), 'the join notice');
    assert.equal(notice.from, 'system');
    assert.equal(notice.message, 'bob joined the chat');
  });

  void it('broadcasts a raw client message to both as {from, message} with id and time', async () => {
    alice.send('hello from alice');
    const atAlice = await alice.inbox.next(isMessage('alice', 'hello from alice'), 'alice gets her message');
    const atBob = await bob.inbox.next(isMessage('alice', 'hello from alice'), 'bob gets alice message');
    assert.deepEqual(atAlice, atBob);
    assert.equal(typeof atAlice.id, 'string');
    assert.ok(Math.abs(Date.parse(atAlice.time) - Date.now()) < 60_000);
  });

  void it('broadcasts a client SDK event, acknowledged to its sender', async () => {
    const result = await bob.client.sendEvent('message', 'hi from bob', 'text');
    assert.equal(typeof result.ackId, 'number');
    await alice.inbox.next(isMessage('bob', 'hi from bob'), 'alice gets bob message');
    await bob.inbox.next(isMessage('bob', 'hi from bob'), 'bob gets his message');
    await bob.client.sendEvent('message', { message: 'json from bob' }, 'json');
    await alice.inbox.next(isMessage('bob', 'json from bob'), 'alice gets bob JSON message');
  });

  void it('answers an invalid message to its sender only', async () => {
    await bob.client.sendEvent('message', '   ', 'text');
    const error = await bob.inbox.next((payload) => payload?.kind === 'error', 'bob gets an error');
    assert.equal(error.code, 'message-empty');
    alice.send('');
    const aliceError = await alice.inbox.next((payload) => payload?.kind === 'error', 'alice gets an error');
    assert.equal(aliceError.code, 'message-empty');
    // Barrier: a later broadcast reaches alice, and bob's error never did.
    await bob.client.sendEvent('message', 'barrier', 'text');
    await alice.inbox.next(isMessage('bob', 'barrier'), 'the barrier');
    assert.equal(alice.inbox.received.filter((payload) => payload?.kind === 'error').length, 1);
    assert.equal(bob.inbox.received.filter((payload) => payload?.kind === 'error').length, 1);
  });

  void it('connects an anonymous client named by ?id= (lazy auth) and announces it', async () => {
    const carol = await openRaw(`${stack.emulator.endpoint.replace('http', 'ws')}/client/hubs/${CHAT_HUB}?id=carol`);
    opened.push(carol);
    await alice.inbox.next(isNotice('joined', 'carol'), 'alice sees carol join');
    carol.send('carol here');
    await bob.inbox.next(isMessage('carol', 'carol here'), 'bob gets carol message');
    await carol.close();
    await alice.inbox.next(isNotice('left', 'carol'), 'alice sees carol leave');
    await bob.inbox.next(isNotice('left', 'carol'), 'bob sees carol leave');
  });

  void it('refuses an anonymous client without a valid name', async () => {
    const base = `${stack.emulator.endpoint.replace('http', 'ws')}/client/hubs/${CHAT_HUB}`;
    for (const query of ['', '?id=', '?id=system', '?id=%3Cscript%3E', '?userId=dave']) {
      await assert.rejects(openRaw(`${base}${query}`), (error: unknown) => {
        assert.ok(error instanceof HandshakeRefused, String(error));
        assert.equal(error.status, 401, query);
        return true;
      });
    }
    // Nobody joined as any of them.
    await bob.client.sendEvent('message', 'after refusals', 'text');
    await alice.inbox.next(isMessage('bob', 'after refusals'), 'the barrier');
    assert.deepEqual(alice.inbox.received.filter((payload) => payload?.kind === 'joined').map((payload) => payload.user), ['alice', 'bob', 'carol']);
  });

  void it('announces leaves to everyone, once the client SDK session has ended', async () => {
    await bob.close();
    await alice.inbox.next(isNotice('left', 'bob'), 'alice sees bob leave');
  });

  void it('refuses negotiate without a valid name', async () => {
    for (const query of ['', '?id=', '?id=admin']) {
      const response = await fetch(`${stack.appUrl}/negotiate${query}`);
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(typeof body.error.message, 'string');
    }
  });
});
