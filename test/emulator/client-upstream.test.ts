import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { clientToken } from '../helpers/clientTokens.js';
import { openRawClient, upgradeStatus, type RawClient } from '../helpers/rawClient.js';
import { acceptEverything, startRecordingUpstream, type RecordingUpstream, type UpstreamRequest } from '../helpers/recordingUpstream.js';
import { withTimeout } from '../helpers/waitFor.js';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';
const RELIABLE = 'json.reliable.webpubsub.azure.v1';

void describe('client endpoint with an event handler', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  const clients: RawClient[] = [];

  before(async () => {
    upstream = await startRecordingUpstream();
    const handler = { urlTemplate: upstream.urlTemplate, userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] as ('connect' | 'connected' | 'disconnected')[] };
    emulator = await startEmulator({
      hubs: {
        lazy: { anonymousConnectPolicy: 'allow', eventHandlers: [handler] },
        chat: { eventHandlers: [handler] },
        quiet: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, systemEvents: ['connected'] }] },
        pulse: { keepAliveIntervalSeconds: 1, eventHandlers: [handler] },
      },
    });
  });
  beforeEach(() => {
    upstream.respondWith(acceptEverything);
  });
  after(async () => {
    for (const client of clients) client.ws.terminate();
    await emulator.close();
    await upstream.close();
  });

  const wsUrl = (hub: string, query = ''): string => `ws://localhost:${emulator.port}/client/hubs/${hub}${query}`;
  const tokenQuery = (hub: string, claims: Record<string, unknown> = {}): string => `?access_token=${clientToken(emulator.endpoint, hub, emulator.accessKey, claims)}`;
  const eventFor = (event: string, connectionId: string): Promise<UpstreamRequest> =>
    upstream.requests.next((request) => request.event === event && request.connectionId === connectionId, `${event} of ${connectionId}`);

  async function open(url: string, protocols?: string | string[]): Promise<RawClient> {
    const client = await openRawClient(url, protocols === undefined ? {} : { protocols });
    clients.push(client);
    return client;
  }

  void describe('connect', () => {
    void it('lets the handler name the user, groups, roles and subprotocol of an anonymous client', async () => {
      upstream.respondWith((request) => {
        if (request.event !== 'connect') return { status: 200 };
        const body = JSON.parse(request.body.toString('utf8'));
        return {
          status: 200,
          headers: { 'Content-Type': 'text/plain' },
          body: JSON.stringify({ userId: `nick-${body.query.id[0]}`, groups: ['lobby'], roles: ['webpubsub.sendToGroup.lobby'], subprotocol: RELIABLE, extra: null }),
        };
      });
      const client = await open(wsUrl('lazy', '?id=zoe'), [JSON_PROTOCOL, RELIABLE]);
      assert.equal(client.protocol, RELIABLE);
      const connected = await client.next((frame) => frame.event === 'connected');
      assert.equal(connected.userId, 'nick-zoe');
      assert.ok(connected.reconnectionToken);
      client.send({ type: 'sendToGroup', group: 'lobby', ackId: 1, dataType: 'text', data: 'hi' });
      assert.equal((await client.next((frame) => frame.type === 'ack')).success, true);
      assert.equal((await client.next((frame) => frame.type === 'message')).fromUserId, 'nick-zoe');
      const connectedEvent = await eventFor('connected', connected.connectionId);
      assert.equal(connectedEvent.headers['ce-userid'], 'nick-zoe');
      assert.equal(connectedEvent.headers['ce-subprotocol'], RELIABLE);
    });

    void it('reports claims, query, headers and subprotocols without credentials', async () => {
      const client = await open(`${wsUrl('chat', tokenQuery('chat', { sub: 'ann', role: ['webpubsub.joinLeaveGroup'] }))}&room=42&__proto__=x`, JSON_PROTOCOL);
      const { connectionId } = await client.next((frame) => frame.event === 'connected');
      const connect = await eventFor('connect', connectionId);
      const body = JSON.parse(connect.body.toString('utf8'));
      assert.deepEqual(body.claims.sub, ['ann']);
      assert.deepEqual(body.claims.role, ['webpubsub.joinLeaveGroup']);
      assert.deepEqual(body.query.room, ['42']);
      assert.deepEqual(body.query.__proto__, ['x']);
      assert.equal(body.query.access_token, undefined);
      assert.deepEqual(body.subprotocols, [JSON_PROTOCOL]);
      assert.ok(Array.isArray(body.headers.host));
      assert.equal(connect.body.toString('utf8').includes('access_token'), false);
    });

    void it('refuses the handshake with the handler\u2019s status, and no connection ever opens', async () => {
      for (const status of [401, 403, 429, 500]) {
        upstream.respondWith((request) => ({
          status: request.event !== 'connect' ? 200 : request.headers['ce-userid'] === `refused-${status}` ? status : 204,
          body: 'details stay upstream',
        }));
        const user = `refused-${status}`;
        assert.equal(await upgradeStatus(wsUrl('chat', tokenQuery('chat', { sub: user }))), status);
        // A barrier: a later connection's events arrive after any the refused one could cause.
        const barrier = await open(wsUrl('chat', tokenQuery('chat', { sub: `barrier-${status}` })), JSON_PROTOCOL);
        const { connectionId } = await barrier.next((frame) => frame.event === 'connected');
        await barrier.close();
        await eventFor('disconnected', connectionId);
        const seen = upstream.requests.received.filter((request) => request.headers['ce-userid'] === user);
        // 5xx answers are retried, so `connect` may repeat; nothing else may follow it.
        assert.ok(seen.length > 0 && seen.every((request) => request.event === 'connect'), seen.map((request) => request.event).join());
        assert.equal(emulator.hubs.get('chat').userExists(`refused-${status}`), false);
      }
    });

    void it('opens nothing for a client that leaves while connect is pending', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      upstream.respondWith(async (request) => {
        if (request.event === 'connect' && request.headers['ce-userid'] === 'leaver') await gate;
        return { status: request.event === 'connect' ? 204 : 200 };
      });
      const leaver = new WebSocket(wsUrl('chat', tokenQuery('chat', { sub: 'leaver' })), JSON_PROTOCOL);
      leaver.on('error', () => undefined);
      await upstream.requests.next((request) => request.event === 'connect' && request.headers['ce-userid'] === 'leaver', 'the pending connect');
      leaver.terminate();
      release();
      const barrier = await open(wsUrl('chat', tokenQuery('chat', { sub: 'after-leaver' })), JSON_PROTOCOL);
      const { connectionId } = await barrier.next((frame) => frame.event === 'connected');
      await eventFor('connected', connectionId);
      assert.equal(emulator.hubs.get('chat').userExists('leaver'), false);
      // Depending on whether the handler answered before the emulator saw the client go, the
      // handler hears `disconnected` for the connection it accepted, or nothing more; never `connected`.
      const events = upstream.requests.received.filter((request) => request.headers['ce-userid'] === 'leaver').map((request) => request.event);
      assert.equal(events.includes('connected'), false, events.join());
      assert.ok(events.filter((event) => event === 'disconnected').length <= 1, events.join());
      await barrier.close();
    });

    void it('answers 500 when the handler names a user id that cannot be sent in a header', async () => {
      upstream.respondWith((request) => (request.event === 'connect' ? { status: 200, body: JSON.stringify({ userId: 'a\r\nb' }) } : { status: 200 }));
      assert.equal(await upgradeStatus(wsUrl('lazy')), 500);
      upstream.respondWith(acceptEverything);
      const client = await open(wsUrl('lazy'), JSON_PROTOCOL);
      await client.next((frame) => frame.event === 'connected');
    });
  });

  void describe('raw WebSocket clients', () => {
    void it('sends every frame upstream as a message event and delivers the reply as a frame', async () => {
      upstream.respondWith((request) => {
        if (request.event !== 'message') return { status: request.event === 'connect' ? 204 : 200 };
        const binary = String(request.headers['content-type']).startsWith('application/octet-stream');
        return binary
          ? { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.concat([Buffer.from([0xff]), request.body]) }
          : { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `echo: ${request.body.toString('utf8')}` };
      });
      const client = await open(wsUrl('chat', tokenQuery('chat', { sub: 'raw' })));
      assert.equal(client.protocol, '');
      client.send('one');
      client.send(Buffer.from([1, 2]));
      client.send('three');
      const text = await client.frames.next((frame) => !frame.binary && frame.data.toString() === 'echo: one', 'text reply');
      assert.equal(text.binary, false);
      const binary = await client.frames.next((frame) => frame.binary, 'binary reply');
      assert.deepEqual([...binary.data], [0xff, 1, 2]);
      await client.frames.next((frame) => frame.data.toString() === 'echo: three', 'third reply');
      const events = upstream.requests.received.filter((request) => request.event === 'message' && request.headers['ce-userid'] === 'raw');
      assert.deepEqual(events.map((request) => request.headers['content-type']), ['text/plain', 'application/octet-stream', 'text/plain']);
      assert.deepEqual(events.map((request) => request.headers['ce-type']), Array(3).fill('azure.webpubsub.user.message'));
      assert.equal(events[0]?.headers['ce-subprotocol'], undefined);
      await client.close();
    });

    void it('closes with 1011 when the handler fails, and upstream hears disconnected once', async () => {
      upstream.respondWith((request) => ({ status: request.event === 'message' ? 500 : request.event === 'connect' ? 204 : 200 }));
      const client = await open(wsUrl('chat', tokenQuery('chat', { sub: 'doomed' })));
      client.send('boom');
      assert.deepEqual(await client.closed, { code: 1011, reason: 'Internal server error' });
      const connectionId = (await upstream.requests.next((request) => request.event === 'message' && request.headers['ce-userid'] === 'doomed', 'message')).connectionId;
      await eventFor('disconnected', connectionId);
      assert.equal(upstream.count('disconnected', connectionId), 1);
    });

    void it('closes with 1011 when no handler takes the message event', async () => {
      const client = await open(wsUrl('quiet', tokenQuery('quiet')));
      client.send('anyone?');
      assert.equal((await client.closed).code, 1011);
    });
  });

  void describe('JSON clients', () => {
    void it('answers a failed event with an InternalServerError ack and stays connected', async () => {
      upstream.respondWith((request) => ({ status: request.event === 'fail' ? 503 : request.event === 'connect' ? 204 : 200 }));
      const client = await open(wsUrl('chat', tokenQuery('chat')), JSON_PROTOCOL);
      await client.next((frame) => frame.event === 'connected');
      client.send({ type: 'event', event: 'fail', ackId: 1, dataType: 'text', data: 'x' });
      const ack = await client.next((frame) => frame.type === 'ack', 'ack', 15_000);
      assert.equal(ack.error.name, 'InternalServerError');
      client.send({ type: 'event', event: 'fine', ackId: 2, dataType: 'json', data: { ok: true } });
      assert.equal((await client.next((frame) => frame.type === 'ack' && frame.ackId === 2, 'ack 2')).success, true);
      await client.close();
    });

    void it('keeps request order behind a slow event and answers pings meanwhile', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      upstream.respondWith(async (request) => {
        if (request.event === 'slow') await gate;
        return { status: request.event === 'connect' ? 204 : 200 };
      });
      const client = await open(wsUrl('chat', tokenQuery('chat', { role: ['webpubsub.joinLeaveGroup'] })), JSON_PROTOCOL);
      await client.next((frame) => frame.event === 'connected');
      client.send({ type: 'event', event: 'slow', ackId: 1, dataType: 'text', data: 'x' });
      client.send({ type: 'joinGroup', group: 'after-slow', ackId: 2 });
      client.send({ type: 'ping' });
      await client.next((frame) => frame.type === 'pong', 'pong while the event is pending');
      assert.equal(client.frames.received.some((frame) => frame.json?.type === 'ack'), false);
      release();
      await client.next((frame) => frame.type === 'ack' && frame.ackId === 2, 'ack 2');
      const acks = client.frames.received.filter((frame) => frame.json?.type === 'ack').map((frame) => frame.json.ackId);
      assert.deepEqual(acks, [1, 2]);
      await client.close();
    });
  });

  void describe('keep-alive', () => {
    void it('drops a socket that stops answering pings and keeps one that answers', async () => {
      const silent = new WebSocket(wsUrl('pulse', tokenQuery('pulse', { sub: 'silent' })), { autoPong: false });
      const lively = await open(wsUrl('pulse', tokenQuery('pulse', { sub: 'lively' })), JSON_PROTOCOL);
      const closed = new Promise<number>((resolve) => {
        silent.on('close', (code) => {
          resolve(code);
        });
      });
      assert.equal(await withTimeout(closed, 10_000, 'the silent socket to be dropped'), 1006);
      const disconnected = await upstream.requests.next((request) => request.event === 'disconnected' && request.headers['ce-userid'] === 'silent', 'disconnected of the silent client');
      assert.ok(disconnected);
      assert.equal(lively.ws.readyState, WebSocket.OPEN);
      lively.send({ type: 'ping' });
      await lively.next((frame) => frame.type === 'pong');
      await lively.close();
    });
  });
});
