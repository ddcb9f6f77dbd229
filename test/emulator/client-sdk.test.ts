import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import {
  WebPubSubClient,
  WebPubSubJsonProtocol,
  WebPubSubJsonReliableProtocol,
  type OnGroupDataMessageArgs,
  type OnServerDataMessageArgs,
  type WebPubSubClientProtocol,
} from '@azure/web-pubsub-client';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recordingUpstream.js';
import { NO_KEEP_ALIVE } from '../helpers/sdkClientOptions.js';
import { Inbox, withTimeout } from '../helpers/waitFor.js';

const HUB = 'sdkhub';
const ROLES = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];

interface Observed {
  client: WebPubSubClient;
  connected: Inbox<{ connectionId: string; userId: string | undefined }>;
  disconnected: Inbox<{ message: string | undefined }>;
  groupMessages: Inbox<OnGroupDataMessageArgs['message']>;
  serverMessages: Inbox<OnServerDataMessageArgs['message']>;
}

const protocols: [string, () => WebPubSubClientProtocol][] = [
  ['json.webpubsub.azure.v1', () => WebPubSubJsonProtocol()],
  ['json.reliable.webpubsub.azure.v1 (the SDK default)', () => WebPubSubJsonReliableProtocol()],
];

for (const [protocolName, protocol] of protocols) {
  void describe(`@azure/web-pubsub-client 1.1.0 with ${protocolName}`, () => {
    let emulator: StartedEmulator;
    let upstream: RecordingUpstream;
    let service: WebPubSubServiceClient;
    const started: WebPubSubClient[] = [];

    before(async () => {
      upstream = await startRecordingUpstream();
      emulator = await startEmulator({
        // The SDK's stop() sends a close frame without a status code, which (as in the service)
        // leaves a reliable session open for recovery; a short window ends it quickly.
        recoveryWindowMs: 500,
        hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] }] } },
      });
      service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
    });
    after(async () => {
      for (const client of started) client.stop();
      await emulator.close();
      await upstream.close();
    });

    async function startClient(userId: string, roles: string[] = ROLES): Promise<Observed> {
      const client = new WebPubSubClient(
        { getClientAccessUrl: async () => (await service.getClientAccessToken({ userId, roles })).url },
        { protocol: protocol(), ...NO_KEEP_ALIVE },
      );
      const observed: Observed = { client, connected: new Inbox(), disconnected: new Inbox(), groupMessages: new Inbox(), serverMessages: new Inbox() };
      client.on('connected', (event) => {
        observed.connected.push({ connectionId: event.connectionId, userId: event.userId });
      });
      client.on('disconnected', (event) => {
        observed.disconnected.push({ message: event.message?.message });
      });
      client.on('group-message', (event) => {
        observed.groupMessages.push(event.message);
      });
      client.on('server-message', (event) => {
        observed.serverMessages.push(event.message);
      });
      started.push(client);
      await client.start();
      return observed;
    }

    void it('connects and reports the connection id and user id', async () => {
      const alice = await startClient('alice');
      const connected = await alice.connected.next(() => true, 'connected');
      assert.equal(connected.userId, 'alice');
      assert.ok(await service.connectionExists(connected.connectionId));
      const connect = await upstream.requests.next((request) => request.event === 'connect' && request.connectionId === connected.connectionId, 'connect upstream');
      assert.equal(connect.headers['ce-userid'], 'alice');
      assert.equal(connect.headers['ce-hub'], HUB);
      await upstream.requests.next((request) => request.event === 'connected' && request.connectionId === connected.connectionId, 'connected upstream');
      alice.client.stop();
    });

    void it('joins groups and exchanges group messages, honouring noEcho', async () => {
      const alice = await startClient('alice');
      const bob = await startClient('bob');
      await alice.client.joinGroup('room');
      await bob.client.joinGroup('room');
      const result = await alice.client.sendToGroup('room', 'hello bob', 'text', { noEcho: true });
      assert.equal(result.isDuplicated, false);
      await alice.client.sendToGroup('room', { n: 1 }, 'json');
      const first = await bob.groupMessages.next(() => true, 'hello');
      assert.equal(first.group, 'room');
      assert.equal(first.fromUserId, 'alice');
      assert.equal(first.dataType, 'text');
      assert.equal(first.data, 'hello bob');
      assert.deepEqual((await bob.groupMessages.next((message) => message.dataType === 'json', 'json')).data, { n: 1 });
      // Alice's first message was noEcho: her first group message is the second one.
      assert.deepEqual((await alice.groupMessages.next(() => true, 'echo')).data, { n: 1 });
      assert.equal(alice.groupMessages.received.length, 1);
      const binary = new Uint8Array([1, 2, 3, 250]).buffer;
      await alice.client.sendToGroup('room', binary, 'binary');
      const received = await bob.groupMessages.next((message) => message.dataType === 'binary', 'binary');
      assert.deepEqual([...new Uint8Array(received.data as ArrayBuffer)], [1, 2, 3, 250]);
      await bob.client.leaveGroup('room');
      await alice.client.sendToGroup('room', 'after leave', 'text');
      await alice.groupMessages.next((message) => message.data === 'after leave', 'after leave');
      assert.equal(bob.groupMessages.received.some((message) => message.data === 'after leave'), false);
      alice.client.stop();
      bob.client.stop();
    });

    void it('rejects a send without permission with the Forbidden ack', async () => {
      const guest = await startClient('guest', []);
      await assert.rejects(guest.client.joinGroup('room'), (error: any) => error.errorDetail?.name === 'Forbidden');
      guest.client.stop();
    });

    void it('receives REST messages sent to everyone, a user, a group and a connection', async () => {
      const carol = await startClient('carol');
      const { connectionId } = await carol.connected.next(() => true, 'connected');
      await carol.client.joinGroup('news');
      await service.sendToAll({ to: 'all' });
      await service.sendToUser('carol', 'to user', { contentType: 'text/plain' });
      await service.group('news').sendToAll('to group', { contentType: 'text/plain' });
      await service.sendToConnection(connectionId, new Uint8Array([9, 8]).buffer);
      assert.deepEqual((await carol.serverMessages.next((message) => message.dataType === 'json', 'json')).data, { to: 'all' });
      assert.equal((await carol.serverMessages.next((message) => message.dataType === 'text', 'text')).data, 'to user');
      const group = await carol.groupMessages.next(() => true, 'group');
      assert.equal(group.data, 'to group');
      assert.equal(group.fromUserId ?? null, null);
      const binary = await carol.serverMessages.next((message) => message.dataType === 'binary', 'binary');
      assert.deepEqual([...new Uint8Array(binary.data as ArrayBuffer)], [9, 8]);
      carol.client.stop();
    });

    void it('delivers the event handler reply before the ack and passes the event upstream', async () => {
      upstream.respondWith((request) => {
        if (request.event === 'echo') return { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ echoed: JSON.parse(request.body.toString('utf8')) }) };
        return { status: request.event === 'connect' ? 204 : 200 };
      });
      const dave = await startClient('dave');
      const { connectionId } = await dave.connected.next(() => true, 'connected');
      const order: string[] = [];
      dave.client.on('server-message', () => order.push('reply'));
      await dave.client.sendEvent('echo', { x: 1 }, 'json');
      order.push('ack');
      assert.deepEqual(order, ['reply', 'ack']);
      assert.deepEqual((await dave.serverMessages.next(() => true, 'reply')).data, { echoed: { x: 1 } });
      const event = await upstream.requests.next((request) => request.event === 'echo' && request.connectionId === connectionId, 'echo upstream');
      assert.equal(event.headers['ce-type'], 'azure.webpubsub.user.echo');
      assert.match(String(event.headers['content-type']), /^application\/json/);
      assert.equal(event.headers['ce-userid'], 'dave');
      assert.equal(event.headers['ce-subprotocol'], protocol().name);
      dave.client.stop();
    });

    void it('reports a REST close as disconnected with its reason, and upstream hears disconnected once', async () => {
      const erin = new WebPubSubClient(
        { getClientAccessUrl: async () => (await service.getClientAccessToken({ userId: 'erin' })).url },
        { protocol: protocol(), autoReconnect: false, ...NO_KEEP_ALIVE },
      );
      const disconnected = new Inbox<string | undefined>();
      let connectionId = '';
      erin.on('connected', (event) => {
        connectionId = event.connectionId;
      });
      erin.on('disconnected', (event) => {
        disconnected.push(event.message?.message);
      });
      started.push(erin);
      await erin.start();
      await service.closeConnection(connectionId, { reason: 'maintenance' });
      assert.equal(await disconnected.next(() => true, 'disconnected'), 'maintenance');
      const upstreamEvent = await upstream.requests.next((request) => request.event === 'disconnected' && request.connectionId === connectionId, 'disconnected upstream');
      assert.deepEqual(JSON.parse(upstreamEvent.body.toString('utf8')), { reason: 'maintenance' });
      assert.equal(await service.connectionExists(connectionId), false);
      assert.equal(upstream.count('disconnected', connectionId), 1);
      erin.stop();
    });

    void it('stops: the session ends (after the recovery window for reliable clients) and upstream hears disconnected', async () => {
      const frank = await startClient('frank');
      const { connectionId } = await frank.connected.next(() => true, 'connected');
      const stopped = new Promise<void>((resolve) => {
        frank.client.on('stopped', () => {
          resolve();
        });
      });
      frank.client.stop();
      await withTimeout(stopped, 10_000, 'stopped');
      await upstream.requests.next((request) => request.event === 'disconnected' && request.connectionId === connectionId, 'disconnected upstream');
      assert.equal(await service.connectionExists(connectionId), false);
    });
  });
}
