import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { clientToken } from '../helpers/clientTokens.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { is, openProtobufClient } from '../helpers/protobufClient.js';
import type { ProtoObject } from '../helpers/protobufMessages.js';
import { openRawClient, upgradeStatus, type RawClient } from '../helpers/rawClient.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recordingUpstream.js';

const HUB = 'rawgroup';

void describe('raw clients in webpubsub_mode=sendToGroup', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  let service: WebPubSubServiceClient;
  const open: RawClient[] = [];

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({ hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, userEventPattern: '*' }] } } });
    service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
  });
  after(async () => {
    for (const client of open) client.ws.terminate();
    await emulator.close();
    await upstream.close();
  });

  const url = (query: string, claims: Record<string, unknown> = {}): string =>
    `ws://localhost:${emulator.port}/client/hubs/${HUB}?access_token=${clientToken(emulator.endpoint, HUB, emulator.accessKey, claims)}${query}`;

  async function raw(query: string, claims: Record<string, unknown> = {}): Promise<RawClient> {
    const client = await openRawClient(url(query, claims));
    open.push(client);
    return client;
  }

  async function jsonMember(group: string): Promise<RawClient> {
    const client = await openRawClient(url('', { 'webpubsub.group': [group] }), { protocols: 'json.webpubsub.azure.v1' });
    open.push(client);
    await client.next((frame) => frame.event === 'connected', 'connected');
    return client;
  }

  void it('publishes text and binary frames to the group, as group messages for every kind of member', async () => {
    const json = await jsonMember('room');
    const proto = await openProtobufClient(url('', { 'webpubsub.group': ['room'] }));
    open.push(proto.raw);
    await proto.next(is.connected, 'connected');
    const rawMember = await raw('', { 'webpubsub.group': ['room'] });
    const sender = await raw('&webpubsub_mode=sendToGroup&group=room', { sub: 'poster', role: ['webpubsub.sendToGroup.room'] });

    sender.send('hello room');
    sender.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await json.next((frame) => frame.type === 'message' && frame.dataType === 'text', 'text'), {
      type: 'message', from: 'group', group: 'room', fromUserId: 'poster', dataType: 'text', data: 'hello room',
    });
    assert.equal((await json.next((frame) => frame.dataType === 'binary', 'binary')).data, Buffer.from([1, 2, 3]).toString('base64'));
    const text = await proto.next(is.data((data) => (data.data as ProtoObject).text_data === 'hello room'), 'protobuf text');
    assert.deepEqual(text.data_message, { from: 'group', group: 'room', data: { text_data: 'hello room' } });
    await proto.next(is.data((data) => Buffer.isBuffer((data.data as ProtoObject).binary_data)), 'protobuf binary');
    const frames = await rawMember.frames.next((frame) => frame.binary, 'raw binary');
    assert.deepEqual(frames.data, Buffer.from([1, 2, 3]));
    assert.deepEqual(rawMember.frames.received.map((frame) => [frame.binary, frame.data.toString('utf8')]).slice(0, 1), [[false, 'hello room']]);
    assert.equal(upstream.count('message'), 0, 'no event goes upstream in this mode');
    await proto.close();
  });

  void it('echoes to the sender when it is a member, unless noEcho=true', async () => {
    const watcher = await jsonMember('echo');
    const role = { role: ['webpubsub.sendToGroup'], 'webpubsub.group': ['echo'] };
    const loud = await raw('&webpubsub_mode=sendToGroup&group=echo', role);
    const quiet = await raw('&webpubsub_mode=SendToGroup&group=echo&noEcho=TRUE', role);
    quiet.send('from quiet');
    loud.send('from loud');
    await watcher.next((frame) => frame.data === 'from quiet', 'quiet message');
    await watcher.next((frame) => frame.data === 'from loud', 'loud message');
    await loud.frames.next((frame) => frame.data.toString() === 'from loud', 'own echo');
    await loud.frames.next((frame) => frame.data.toString() === 'from quiet', 'the other one');
    await quiet.frames.next((frame) => frame.data.toString() === 'from loud', 'the loud one');
    assert.equal(quiet.frames.received.some((frame) => frame.data.toString() === 'from quiet'), false);
  });

  void it('closes with 1008 on a frame the connection may not publish; runtime grants and revokes apply', async () => {
    const watcher = await jsonMember('guarded');
    // A group of its own from the token tells the test the sender's connection id.
    const sender = await raw('&webpubsub_mode=sendToGroup&group=guarded', { 'webpubsub.group': ['whoami'] });
    const connectionId = emulator.hubs.get(HUB).listGroupMembers('whoami')[0]!.connectionId;
    await service.grantPermission(connectionId, 'sendToGroup', { targetName: 'guarded' });
    sender.send('granted');
    await watcher.next((frame) => frame.data === 'granted', 'the granted message');
    await service.revokePermission(connectionId, 'sendToGroup', { targetName: 'guarded' });
    sender.send('revoked');
    const closed = await sender.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /no permission/);
    const denied = await raw('&webpubsub_mode=sendToGroup&group=guarded');
    denied.send('never');
    assert.equal((await denied.closed).code, 1008);
    watcher.send({ type: 'ping' });
    await watcher.next((frame) => frame.type === 'pong', 'pong');
    assert.equal(watcher.frames.received.some((frame) => frame.json?.data === 'revoked' || frame.json?.data === 'never'), false);
  });

  void it('refuses an invalid mode, group or noEcho with 400 before the upgrade, after the token check', async () => {
    const statuses = await Promise.all(
      [
        '&webpubsub_mode=broadcast',
        '&webpubsub_mode=sendToGroup',
        '&webpubsub_mode=sendToGroup&group=%20%20',
        `&webpubsub_mode=sendToGroup&group=${'g'.repeat(1025)}`,
        '&webpubsub_mode=sendToGroup&group=g&noEcho=yes',
      ].map((query) => upgradeStatus(url(query))),
    );
    assert.deepEqual(statuses, [400, 400, 400, 400, 400]);
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client/hubs/${HUB}?webpubsub_mode=broadcast`), 401);
    assert.equal(await upgradeStatus(url('&webpubsub_mode=sendEvent&group=ignored')), 101);
  });
});
