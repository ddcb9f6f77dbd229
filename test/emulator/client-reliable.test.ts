import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient, type OnGroupDataMessageArgs } from '@azure/web-pubsub-client';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { clientToken, nowSeconds } from '../helpers/clientTokens.js';
import { openRawClient, type Closed, type RawClient } from '../helpers/rawClient.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recordingUpstream.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { NO_KEEP_ALIVE } from '../helpers/sdkClientOptions.js';
import { Inbox, withTimeout } from '../helpers/waitFor.js';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';
const RELIABLE = 'json.reliable.webpubsub.azure.v1';
const HUB = 'reliable';
const ROLES = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];

interface ReliableClient extends RawClient {
  connectionId: string;
  reconnectionToken: string;
}

/** A raw reliable client, a JSON publisher and the recovery URLs they need. */
function harness(getEmulator: () => StartedEmulator): {
  connectReliable(claims?: Record<string, unknown>): Promise<ReliableClient>;
  publisher(): Promise<RawClient>;
  recoveryUrl(connectionId: string, token: string): string;
  recover(connectionId: string, token: string): Promise<RawClient>;
  messages(client: RawClient): { data: unknown; sequenceId: number }[];
} {
  const base = (): string => `ws://localhost:${getEmulator().port}/client/hubs/${HUB}`;
  const tokenFor = (claims: Record<string, unknown>): string => clientToken(getEmulator().endpoint, HUB, getEmulator().accessKey, claims);
  const recoveryUrl = (connectionId: string, token: string): string =>
    // As the SDK builds it: the original URL (with its now expired token) plus the recovery parameters.
    `${base()}?access_token=${tokenFor({ exp: nowSeconds() - 3600 })}&awps_connection_id=${encodeURIComponent(connectionId)}&awps_reconnection_token=${encodeURIComponent(token)}`;
  return {
    async connectReliable(claims = {}) {
      const client = await openRawClient(`${base()}?access_token=${tokenFor(claims)}`, { protocols: RELIABLE });
      const connected = await client.next((frame) => frame.event === 'connected', 'connected');
      return Object.assign(client, { connectionId: connected.connectionId as string, reconnectionToken: connected.reconnectionToken as string });
    },
    async publisher() {
      const client = await openRawClient(`${base()}?access_token=${tokenFor({ role: ROLES })}`, { protocols: JSON_PROTOCOL });
      await client.next((frame) => frame.event === 'connected', 'connected');
      return client;
    },
    recoveryUrl,
    /**
     * Recovers once the emulator has noticed the drop: an attempt that races the server's view of
     * the old socket is refused as "still connected", and is simply tried again.
     */
    async recover(connectionId, token) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const client = await openRawClient(recoveryUrl(connectionId, token), { protocols: RELIABLE });
        const early = await Promise.race([client.closed, client.frames.next(() => true, 'a replayed frame', 300).then(() => undefined, () => undefined)]);
        if (early === undefined || !/still connected/.test(early.reason)) return client;
        if (Date.now() > deadline) return client;
      }
    },
    messages: (client) => client.frames.received.filter((frame) => frame.json?.type === 'message').map((frame) => ({ data: frame.json.data, sequenceId: frame.json.sequenceId })),
  };
}

void describe('json.reliable.webpubsub.azure.v1: sequence ids, acks and recovery (raw frames)', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  const h = harness(() => emulator);

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({ hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, systemEvents: ['connected', 'disconnected'] }] } } });
  });
  after(async () => {
    await emulator.close();
    await upstream.close();
  });

  void it('replays every un-acked message in order with its original sequence id, then numbers on', async () => {
    const subscriber = await h.connectReliable({ 'webpubsub.group': ['r1'] });
    const publisher = await h.publisher();
    for (let i = 1; i <= 5; i++) publisher.send({ type: 'sendToGroup', group: 'r1', dataType: 'json', data: i });
    await subscriber.next((frame) => frame.sequenceId === 5, 'message 5');
    subscriber.send({ type: 'sequenceAck', sequenceId: 2 });
    subscriber.send({ type: 'ping' });
    await subscriber.next((frame) => frame.type === 'pong', 'pong after the ack');
    subscriber.ws.terminate();
    publisher.send({ type: 'sendToGroup', group: 'r1', ackId: 1, dataType: 'json', data: 6 });
    await publisher.next((frame) => frame.type === 'ack' && frame.ackId === 1, 'ack');

    const recovered = await h.recover(subscriber.connectionId, subscriber.reconnectionToken);
    assert.equal(recovered.protocol, RELIABLE);
    await recovered.next((frame) => frame.sequenceId === 6, 'replay of message 6');
    publisher.send({ type: 'sendToGroup', group: 'r1', dataType: 'json', data: 7 });
    await recovered.next((frame) => frame.sequenceId === 7, 'message 7');
    assert.deepEqual(h.messages(recovered), [3, 4, 5, 6, 7].map((n) => ({ data: n, sequenceId: n })));
    assert.equal(recovered.frames.received.some((frame) => frame.json?.event === 'connected'), false);
    assert.equal(upstream.count('connected', subscriber.connectionId), 1);
    assert.equal(upstream.count('disconnected', subscriber.connectionId), 0);

    // A normal close ends the session for good: upstream hears it once, recovery is refused.
    await recovered.close(1000);
    await upstream.requests.next((request) => request.event === 'disconnected' && request.connectionId === subscriber.connectionId, 'disconnected');
    const late = await openRawClient(h.recoveryUrl(subscriber.connectionId, subscriber.reconnectionToken), { protocols: RELIABLE });
    assert.equal((await late.closed).code, 1008);
    assert.equal(upstream.count('disconnected', subscriber.connectionId), 1);
    await publisher.close();
  });

  void it('keeps the session groups and the ackId memory across a recovery', async () => {
    const client = await h.connectReliable({ role: ROLES });
    client.send({ type: 'joinGroup', group: 'kept', ackId: 1 });
    client.send({ type: 'sendToGroup', group: 'kept', ackId: 2, dataType: 'text', data: 'before' });
    await client.next((frame) => frame.type === 'ack' && frame.ackId === 2, 'ack 2');
    client.ws.terminate();
    const recovered = await h.recover(client.connectionId, client.reconnectionToken);
    recovered.send({ type: 'sendToGroup', group: 'kept', ackId: 2, dataType: 'text', data: 'before' });
    assert.equal((await recovered.next((frame) => frame.type === 'ack' && frame.ackId === 2, 'ack 2 again')).error.name, 'Duplicate');
    recovered.send({ type: 'sendToGroup', group: 'kept', ackId: 3, dataType: 'text', data: 'after' });
    await recovered.next((frame) => frame.type === 'message' && frame.data === 'after', 'group message after recovery');
    assert.deepEqual(h.messages(recovered).map((message) => message.data), ['before', 'after']);
    await recovered.close();
  });

  void describe('refused recoveries: the upgrade succeeds, then the socket closes with 1008', () => {
    const expectRefused = async (url: string): Promise<Closed> => {
      const client = await openRawClient(url, { protocols: RELIABLE });
      assert.equal(client.protocol, RELIABLE);
      const closed = await client.closed;
      assert.equal(closed.code, 1008);
      assert.equal(client.frames.received.length, 0);
      return closed;
    };

    void it('for an invalid token, another connection\u2019s token, an unknown id and no token', async () => {
      const victim = await h.connectReliable();
      const other = await h.connectReliable();
      victim.ws.terminate();
      await expectRefused(h.recoveryUrl(victim.connectionId, 'not-a-token'));
      await expectRefused(h.recoveryUrl(victim.connectionId, other.reconnectionToken));
      await expectRefused(h.recoveryUrl('no-such-connection', victim.reconnectionToken));
      await expectRefused(h.recoveryUrl(victim.connectionId, ''));
      // None of that ended the session: its owner still recovers.
      const recovered = await h.recover(victim.connectionId, victim.reconnectionToken);
      recovered.send({ type: 'ping' });
      await recovered.next((frame) => frame.type === 'pong', 'pong');
      await Promise.all([recovered.close(), other.close()]);
    });

    void it('for a connection that is still attached, which keeps working', async () => {
      const live = await h.connectReliable({ 'webpubsub.group': ['live'] });
      await expectRefused(h.recoveryUrl(live.connectionId, live.reconnectionToken));
      const publisher = await h.publisher();
      publisher.send({ type: 'sendToGroup', group: 'live', dataType: 'text', data: 'still mine' });
      assert.equal((await live.next((frame) => frame.type === 'message', 'message')).data, 'still mine');
      await Promise.all([live.close(), publisher.close()]);
    });

    void it('for a session that ended with a REST close', async () => {
      const client = await h.connectReliable();
      emulator.hubs.get(HUB).closeConnection(client.connectionId, 'gone');
      assert.equal((await client.closed).code, 1000);
      await expectRefused(h.recoveryUrl(client.connectionId, client.reconnectionToken));
    });
  });

  void describe('buffer limits', () => {
    void it('closes a client that leaves 1,000 messages un-acked, with 1008, and refuses its recovery', async () => {
      const subscriber = await h.connectReliable({ 'webpubsub.group': ['flood'] });
      const publisher = await h.publisher();
      for (let i = 1; i <= 1000; i++) publisher.send({ type: 'sendToGroup', group: 'flood', dataType: 'json', data: i });
      await subscriber.next((frame) => frame.sequenceId === 1000, 'message 1000', 20_000);
      publisher.send({ type: 'sendToGroup', group: 'flood', dataType: 'json', data: 1001 });
      const closed = await withTimeout(subscriber.closed, 10_000, 'the overflow close');
      assert.equal(closed.code, 1008);
      const late = await openRawClient(h.recoveryUrl(subscriber.connectionId, subscriber.reconnectionToken), { protocols: RELIABLE });
      assert.equal((await late.closed).code, 1008);
      await publisher.close();
    });

    void it('acknowledged messages free the buffer', async () => {
      const subscriber = await h.connectReliable({ 'webpubsub.group': ['acked'] });
      const publisher = await h.publisher();
      for (let round = 0; round < 3; round++) {
        for (let i = 1; i <= 600; i++) publisher.send({ type: 'sendToGroup', group: 'acked', dataType: 'json', data: i });
        const last = (round + 1) * 600;
        await subscriber.next((frame) => frame.sequenceId === last, `message ${last}`, 20_000);
        subscriber.send({ type: 'sequenceAck', sequenceId: last });
        // The pong comes after the ack was applied (one connection's frames are handled in order),
        // so the next round cannot overtake it and push the buffer past 1,000 un-acked messages.
        subscriber.send({ type: 'ping' });
        const pongs = (): number => subscriber.frames.received.filter((frame) => frame.json?.type === 'pong').length;
        await subscriber.frames.next(() => pongs() > round, `pong after round ${round + 1}`);
      }
      assert.equal(subscriber.ws.readyState, subscriber.ws.OPEN);
      await Promise.all([subscriber.close(), publisher.close()]);
    });

    void it('closes a client that leaves more than 16 MB un-acked', async () => {
      const subscriber = await h.connectReliable({ 'webpubsub.group': ['bytes'] });
      const publisher = await h.publisher();
      const big = 'x'.repeat(1_000_000);
      for (let i = 1; i <= 17; i++) publisher.send({ type: 'sendToGroup', group: 'bytes', dataType: 'text', data: big });
      const closed = await withTimeout(subscriber.closed, 20_000, 'the overflow close');
      assert.equal(closed.code, 1008);
      assert.ok(h.messages(subscriber).length <= 16);
      await publisher.close();
    });
  });
});

void describe('json.reliable.webpubsub.azure.v1: the recovery window', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  const h = harness(() => emulator);

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({ recoveryWindowMs: 300, hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, systemEvents: ['connected', 'disconnected'] }] } } });
  });
  after(async () => {
    await emulator.close();
    await upstream.close();
  });

  void it('ends a dropped session when nobody recovers it: disconnected once, then recovery gets 1008', async () => {
    const client = await h.connectReliable();
    client.ws.terminate();
    const disconnected = await upstream.requests.next((request) => request.event === 'disconnected' && request.connectionId === client.connectionId, 'disconnected');
    assert.match(JSON.parse(disconnected.body.toString('utf8')).reason as string, /not recovered/);
    assert.equal(emulator.hubs.get(HUB).connectionExists(client.connectionId), false);
    const late = await openRawClient(h.recoveryUrl(client.connectionId, client.reconnectionToken), { protocols: RELIABLE });
    assert.equal((await late.closed).code, 1008);
    assert.equal(upstream.count('connected', client.connectionId), 1);
    assert.equal(upstream.count('disconnected', client.connectionId), 1);
  });
});

void describe('@azure/web-pubsub-client (reliable default) through a TCP proxy that is cut mid-stream', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  let proxy: TcpProxy;
  let service: WebPubSubServiceClient;
  const h = harness(() => emulator);

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({ recoveryWindowMs: 1_500, hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, systemEvents: ['connected', 'disconnected'] }] } } });
    proxy = await startTcpProxy(emulator.port);
    // Tokens name the proxy as the endpoint: the client dials it, and the audience matches its Host.
    service = new WebPubSubServiceClient(`Endpoint=http://localhost:${proxy.port};AccessKey=${emulator.accessKey};Version=1.0;`, HUB, { allowInsecureConnection: true });
  });
  after(async () => {
    await proxy.close();
    await emulator.close();
    await upstream.close();
  });

  function subscriber(): { client: WebPubSubClient; received: Inbox<OnGroupDataMessageArgs['message']>; connected: Inbox<string> } {
    const client = new WebPubSubClient({ getClientAccessUrl: async () => (await service.getClientAccessToken({ roles: ROLES })).url }, NO_KEEP_ALIVE);
    const received = new Inbox<OnGroupDataMessageArgs['message']>();
    const connected = new Inbox<string>();
    client.on('group-message', (event) => {
      received.push(event.message);
    });
    client.on('connected', (event) => {
      connected.push(event.connectionId);
    });
    return { client, received, connected };
  }

  void it('recovers the session: every message arrives exactly once and in order', async () => {
    const { client, received, connected } = subscriber();
    await client.start();
    await client.joinGroup('stream');
    const connectionId = await connected.next(() => true, 'connected');
    const publisher = await h.publisher();
    const total = 600;
    for (let i = 1; i <= 300; i++) publisher.send({ type: 'sendToGroup', group: 'stream', dataType: 'json', data: i });
    await received.next((message) => message.data === 50, 'message 50');
    proxy.cut();
    for (let i = 301; i <= total; i++) publisher.send({ type: 'sendToGroup', group: 'stream', dataType: 'json', data: i });
    await received.next((message) => message.data === total, `message ${total}`, 20_000);
    publisher.send({ type: 'sendToGroup', group: 'stream', ackId: 1, dataType: 'text', data: 'barrier' });
    await received.next((message) => message.data === 'barrier', 'barrier');
    const numbers = received.received.map((message) => message.data).filter((data) => typeof data === 'number');
    assert.deepEqual(numbers, Array.from({ length: total }, (_, index) => index + 1));
    assert.equal(connected.received.length, 1, 'the session was recovered, not replaced');
    assert.ok(emulator.hubs.get(HUB).connectionExists(connectionId));
    assert.equal(upstream.count('disconnected', connectionId), 0);
    client.stop();
    await publisher.close();
  });

  void it('starts a new connection when the session expired while the network was down', async () => {
    const { client, received, connected } = subscriber();
    await client.start();
    await client.joinGroup('again');
    const first = await connected.next(() => true, 'connected');
    proxy.refuse(true);
    proxy.cut();
    await upstream.requests.next((request) => request.event === 'disconnected' && request.connectionId === first, 'the expired session', 10_000);
    proxy.refuse(false);
    const second = await connected.next((id) => id !== first, 'a new connection', 20_000);
    assert.notEqual(second, first);
    // The SDK rejoins its groups on the new connection.
    const publisher = await h.publisher();
    const deadline = Date.now() + 10_000;
    while (!emulator.hubs.get(HUB).listGroupMembers('again').some((member) => member.connectionId === second)) {
      if (Date.now() > deadline) assert.fail('the new connection did not rejoin its group');
      await new Promise((resolve) => setImmediate(resolve));
    }
    publisher.send({ type: 'sendToGroup', group: 'again', dataType: 'text', data: 'welcome back' });
    await received.next((message) => message.data === 'welcome back', 'message on the new connection');
    client.stop();
    await publisher.close();
  });
});
