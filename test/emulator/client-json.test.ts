import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { clientToken } from '../helpers/clientTokens.js';
import { openRawClient, type RawClient } from '../helpers/rawClient.js';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';
const RELIABLE_PROTOCOL = 'json.reliable.webpubsub.azure.v1';
const ALL_ROLES = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];

void describe('client endpoint: json.webpubsub.azure.v1', () => {
  let emulator: StartedEmulator;
  const open: RawClient[] = [];

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    for (const client of open) client.ws.terminate();
    await emulator.close();
  });

  function urlFor(claims: Record<string, unknown> = {}, hub = 'chat'): string {
    return `ws://localhost:${emulator.port}/client/hubs/${hub}?access_token=${clientToken(emulator.endpoint, hub, emulator.accessKey, claims)}`;
  }

  /** Opens a JSON client and waits for its `connected` message. */
  async function connect(claims: Record<string, unknown> = {}, protocols: string | string[] = JSON_PROTOCOL): Promise<RawClient & { connectionId: string }> {
    const client = await openRawClient(urlFor(claims), { protocols });
    open.push(client);
    const connected = await client.next((frame) => frame.type === 'system' && frame.event === 'connected', 'connected');
    return Object.assign(client, { connectionId: connected.connectionId as string });
  }

  const ackOf = (client: RawClient, ackId: number): Promise<any> => client.next((frame) => frame.type === 'ack' && frame.ackId === ackId, `ack ${ackId}`);
  const groupMessage = (client: RawClient, predicate: (frame: any) => boolean = () => true): Promise<any> =>
    client.next((frame) => frame.type === 'message' && frame.from === 'group' && predicate(frame), 'a group message');

  void describe('subprotocol negotiation', () => {
    const cases: [string[], string][] = [
      [[JSON_PROTOCOL], JSON_PROTOCOL],
      [[RELIABLE_PROTOCOL], RELIABLE_PROTOCOL],
      [['custom.v1', JSON_PROTOCOL], JSON_PROTOCOL],
      [[RELIABLE_PROTOCOL, JSON_PROTOCOL], RELIABLE_PROTOCOL],
      [[JSON_PROTOCOL, 'protobuf.webpubsub.azure.v1'], JSON_PROTOCOL],
    ];
    for (const [offered, chosen] of cases) {
      void it(`echoes ${chosen} when offered ${offered.join(', ')}`, async () => {
        const client = await connect({}, offered);
        assert.equal(client.protocol, chosen);
        await client.close();
      });
    }

    void it('selects no subprotocol when none offered is supported, so a client that asked fails', async () => {
      await assert.rejects(openRawClient(urlFor(), { protocols: 'custom.v1' }), /no subprotocol/i);
    });

    void it('sends the reconnection token only to reliable clients', async () => {
      const plain = await connect();
      const reliable = await openRawClient(urlFor({ sub: 'r' }), { protocols: RELIABLE_PROTOCOL });
      open.push(reliable);
      const connected = await reliable.next((frame) => frame.event === 'connected');
      assert.equal(connected.userId, 'r');
      assert.match(connected.reconnectionToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      await Promise.all([plain.close(), reliable.close()]);
    });
  });

  void it('answers ping with pong', async () => {
    const client = await connect();
    client.send({ type: 'ping' });
    assert.deepEqual(await client.next((frame) => frame.type === 'pong'), { type: 'pong' });
    await client.close();
  });

  void describe('permissions', () => {
    void it('refuses joinGroup and sendToGroup without a role (ack Forbidden) and keeps the connection', async () => {
      const client = await connect();
      client.send({ type: 'joinGroup', group: 'g', ackId: 1 });
      const joined = await ackOf(client, 1);
      assert.equal(joined.success, false);
      assert.equal(joined.error.name, 'Forbidden');
      client.send({ type: 'sendToGroup', group: 'g', ackId: 2, dataType: 'text', data: 'x' });
      assert.equal((await ackOf(client, 2)).error.name, 'Forbidden');
      client.send({ type: 'leaveGroup', group: 'g', ackId: 3 });
      assert.equal((await ackOf(client, 3)).error.name, 'Forbidden');
      client.send({ type: 'ping' });
      await client.next((frame) => frame.type === 'pong');
      await client.close();
    });

    void it('honours roles for one group', async () => {
      const client = await connect({ role: ['webpubsub.joinLeaveGroup.g1', 'webpubsub.sendToGroup.g1'] });
      client.send({ type: 'joinGroup', group: 'g1', ackId: 1 });
      client.send({ type: 'joinGroup', group: 'g2', ackId: 2 });
      client.send({ type: 'sendToGroup', group: 'g1', ackId: 3, dataType: 'text', data: 'x' });
      client.send({ type: 'sendToGroup', group: 'g2', ackId: 4, dataType: 'text', data: 'x' });
      assert.deepEqual([(await ackOf(client, 1)).success, (await ackOf(client, 2)).success, (await ackOf(client, 3)).success, (await ackOf(client, 4)).success], [true, false, true, false]);
      await client.close();
    });

    void it('honours wildcard roles', async () => {
      const client = await connect({ role: ['webpubsub.joinLeaveGroups.room-*', 'webpubsub.sendToGroups.news.**'] });
      const results: boolean[] = [];
      const requests = [
        { type: 'joinGroup', group: 'room-1' },
        { type: 'joinGroup', group: 'room-1.x' },
        { type: 'joinGroup', group: 'lobby' },
        { type: 'sendToGroup', group: 'news.eu.fr', dataType: 'text', data: 'x' },
        { type: 'sendToGroup', group: 'weather', dataType: 'text', data: 'x' },
      ];
      for (const [index, message] of requests.entries()) {
        client.send({ ...message, ackId: index + 1 });
        results.push((await ackOf(client, index + 1)).success);
      }
      assert.deepEqual(results, [true, false, false, true, false]);
      await client.close();
    });

    void it('honours permissions granted and revoked at runtime', async () => {
      const client = await connect();
      const hub = emulator.hubs.get('chat');
      client.send({ type: 'joinGroup', group: 'vip', ackId: 1 });
      assert.equal((await ackOf(client, 1)).error.name, 'Forbidden');
      assert.ok(hub.grantPermission(client.connectionId, 'joinLeaveGroup', 'vip'));
      // A failed request is not remembered: the same ackId may be retried.
      client.send({ type: 'joinGroup', group: 'vip', ackId: 1 });
      const retried = await client.next((frame) => frame.type === 'ack' && frame.ackId === 1 && frame.success === true);
      assert.equal(retried.success, true);
      assert.ok(hub.listGroupMembers('vip').some((member) => member.connectionId === client.connectionId));
      hub.revokePermission(client.connectionId, 'joinLeaveGroup', 'vip');
      client.send({ type: 'leaveGroup', group: 'vip', ackId: 2 });
      assert.equal((await ackOf(client, 2)).error.name, 'Forbidden');
      await client.close();
    });
  });

  void describe('acks', () => {
    void it('answers a repeated ackId with Duplicate and does not run the request again', async () => {
      const sender = await connect({ role: ALL_ROLES });
      const receiver = await connect({ role: ALL_ROLES });
      receiver.send({ type: 'joinGroup', group: 'dup', ackId: 1 });
      await ackOf(receiver, 1);
      sender.send({ type: 'sendToGroup', group: 'dup', ackId: 7, dataType: 'text', data: 'once' });
      assert.equal((await ackOf(sender, 7)).success, true);
      sender.send({ type: 'sendToGroup', group: 'dup', ackId: 7, dataType: 'text', data: 'once' });
      const duplicate = await sender.next((frame) => frame.type === 'ack' && frame.ackId === 7 && frame.success === false);
      assert.deepEqual(duplicate.error, { name: 'Duplicate', message: 'Message with ack-id: 7 has been processed' });
      // A barrier: the next message arrives after any second copy would have.
      sender.send({ type: 'sendToGroup', group: 'dup', ackId: 8, dataType: 'text', data: 'barrier' });
      await groupMessage(receiver, (frame) => frame.data === 'barrier');
      assert.deepEqual(receiver.frames.received.filter((frame) => frame.json?.type === 'message').map((frame) => frame.json.data), ['once', 'barrier']);
      await Promise.all([sender.close(), receiver.close()]);
    });

    void it('answers BadRequest for a blank group or an invalid event name', async () => {
      const client = await connect({ role: ALL_ROLES });
      client.send({ type: 'joinGroup', group: '   ', ackId: 1 });
      client.send({ type: 'sendToGroup', group: 'x'.repeat(1025), ackId: 2, dataType: 'text', data: 'x' });
      client.send({ type: 'event', event: '../../admin', ackId: 3, dataType: 'text', data: 'x' });
      for (const ackId of [1, 2, 3]) assert.equal((await ackOf(client, ackId)).error.name, 'BadRequest');
      await client.close();
    });

    void it('answers InternalServerError for an event no handler takes, and stays open', async () => {
      const client = await connect();
      client.send({ type: 'event', event: 'message', ackId: 1, dataType: 'text', data: 'hi' });
      const ack = await ackOf(client, 1);
      assert.equal(ack.error.name, 'InternalServerError');
      client.send({ type: 'ping' });
      await client.next((frame) => frame.type === 'pong');
      await client.close();
    });
  });

  void describe('group messages', () => {
    void it('delivers text, JSON and binary data with the sender and group', async () => {
      const sender = await connect({ sub: 'alice', role: ALL_ROLES });
      const receiver = await connect({ sub: 'bob', role: ALL_ROLES, 'webpubsub.group': ['room'] });
      const payloads = [
        { dataType: 'text', data: 'hi "there"\n' },
        { dataType: 'json', data: { a: [1, 'two', null], b: { c: true } } },
        { dataType: 'json', data: 'a JSON string' },
        { dataType: 'binary', data: Buffer.from([0, 1, 2, 255]).toString('base64') },
      ];
      for (const [index, payload] of payloads.entries()) sender.send({ type: 'sendToGroup', group: 'room', ackId: index + 1, ...payload });
      for (const [index, payload] of payloads.entries()) {
        const message = await receiver.next((frame) => frame.type === 'message' && frame.dataType === payload.dataType && JSON.stringify(frame.data) === JSON.stringify(payload.data), `payload ${index}`);
        assert.deepEqual(message, { type: 'message', from: 'group', group: 'room', fromUserId: 'alice', ...payload });
      }
      await Promise.all([sender.close(), receiver.close()]);
    });

    void it('does not echo to the sender with noEcho, and echoes otherwise', async () => {
      const client = await connect({ role: ALL_ROLES, 'webpubsub.group': ['echo'] });
      client.send({ type: 'sendToGroup', group: 'echo', ackId: 1, noEcho: true, dataType: 'text', data: 'silent' });
      client.send({ type: 'sendToGroup', group: 'echo', ackId: 2, dataType: 'text', data: 'loud' });
      const first = await groupMessage(client);
      assert.equal(first.data, 'loud');
      await client.close();
    });

    void it('keeps per-sender order and sends a group message to members only', async () => {
      const sender = await connect({ role: ALL_ROLES });
      const member = await connect({ 'webpubsub.group': ['ordered'] });
      const outsider = await connect({ 'webpubsub.group': ['elsewhere'] });
      for (let i = 1; i <= 200; i++) sender.send({ type: 'sendToGroup', group: 'ordered', dataType: 'json', data: i });
      sender.send({ type: 'sendToGroup', group: 'elsewhere', ackId: 1, dataType: 'text', data: 'barrier' });
      await groupMessage(outsider, (frame) => frame.data === 'barrier');
      await groupMessage(member, (frame) => frame.data === 200);
      const received = member.frames.received.filter((frame) => frame.json?.type === 'message').map((frame) => frame.json.data);
      assert.deepEqual(received, Array.from({ length: 200 }, (_, index) => index + 1));
      assert.equal(outsider.frames.received.filter((frame) => frame.json?.type === 'message').length, 1);
      await Promise.all([sender.close(), member.close(), outsider.close()]);
    });

    void it('numbers messages to reliable clients and leaves plain JSON clients without sequenceId', async () => {
      const sender = await connect({ role: ALL_ROLES });
      const reliable = await connect({ 'webpubsub.group': ['seq'] }, RELIABLE_PROTOCOL);
      const plain = await connect({ 'webpubsub.group': ['seq'] });
      for (const data of ['a', 'b', 'c']) sender.send({ type: 'sendToGroup', group: 'seq', dataType: 'text', data });
      await groupMessage(reliable, (frame) => frame.data === 'c');
      await groupMessage(plain, (frame) => frame.data === 'c');
      const sequenced = reliable.frames.received.filter((frame) => frame.json?.type === 'message').map((frame) => [frame.json.data, frame.json.sequenceId]);
      assert.deepEqual(sequenced, [['a', 1], ['b', 2], ['c', 3]]);
      assert.ok(plain.frames.received.every((frame) => frame.json?.sequenceId === undefined));
      await Promise.all([sender.close(), reliable.close(), plain.close()]);
    });
  });

  void describe('service-side messages and closes', () => {
    void it('delivers server messages from the hub to users and connections', async () => {
      const client = await connect({ sub: 'carol' });
      const hub = emulator.hubs.get('chat');
      hub.sendToUser('carol', { from: 'server', dataType: 'json', data: Buffer.from('{"n":1}') });
      hub.sendToConnection(client.connectionId, { from: 'server', dataType: 'text', data: Buffer.from('direct') });
      assert.deepEqual(await client.next((frame) => frame.type === 'message' && frame.dataType === 'json'), { type: 'message', from: 'server', dataType: 'json', data: { n: 1 } });
      assert.deepEqual(await client.next((frame) => frame.type === 'message' && frame.dataType === 'text'), { type: 'message', from: 'server', dataType: 'text', data: 'direct' });
      await client.close();
    });

    void it('sends disconnected with the reason, then closes 1000 with it', async () => {
      const client = await connect();
      emulator.hubs.get('chat').closeConnection(client.connectionId, 'Bye now');
      assert.deepEqual(await client.next((frame) => frame.type === 'system' && frame.event === 'disconnected'), { type: 'system', event: 'disconnected', message: 'Bye now' });
      assert.deepEqual(await client.closed, { code: 1000, reason: 'Bye now' });
      assert.equal(emulator.hubs.get('chat').connectionExists(client.connectionId), false);
    });

    void it('uses the default REST reason when none is given', async () => {
      const client = await connect({ sub: 'dave' });
      emulator.hubs.get('chat').closeUser('dave');
      assert.deepEqual(await client.closed, { code: 1000, reason: 'Closed by REST API.' });
    });
  });

  void describe('invalid frames', () => {
    const corpus: [string, string][] = [
      ['truncated JSON', '{"type":"joinGroup","group":"g"'],
      ['not JSON', 'hello'],
      ['an array', '["joinGroup"]'],
      ['a number type', '{"type":42}'],
      ['an unknown type', '{"type":"unknown"}'],
      ['a missing type', '{"group":"g"}'],
      ['ackId as string', '{"type":"joinGroup","group":"g","ackId":"1"}'],
      ['ackId as boolean', '{"type":"joinGroup","group":"g","ackId":true}'],
      ['negative ackId', '{"type":"joinGroup","group":"g","ackId":-1}'],
      ['ackId as object', '{"type":"joinGroup","group":"g","ackId":{}}'],
      ['fractional ackId', '{"type":"joinGroup","group":"g","ackId":1.5}'],
      ['group as number', '{"type":"joinGroup","group":1}'],
      ['sequenceAck with a string', '{"type":"sequenceAck","sequenceId":"1"}'],
      ['sequenceAck with a list', '{"type":"sequenceAck","sequenceId":[]}'],
      ['sequenceAck without id', '{"type":"sequenceAck"}'],
      ['noEcho as string', '{"type":"sendToGroup","group":"g","noEcho":"true","data":1}'],
      ['noEcho as number', '{"type":"sendToGroup","group":"g","noEcho":1,"data":1}'],
      ['ttlSeconds -1', '{"type":"sendToGroup","group":"g","ttlSeconds":-1,"data":1}'],
      ['ttlSeconds 301', '{"type":"sendToGroup","group":"g","ttlSeconds":301,"data":1}'],
      ['ttlSeconds as string', '{"type":"sendToGroup","group":"g","ttlSeconds":"30","data":1}'],
      ['binary data not base64', '{"type":"sendToGroup","group":"g","dataType":"binary","data":"not base64!"}'],
      ['dataType as number', '{"type":"event","event":"e","dataType":42,"data":1}'],
      ['unknown dataType', '{"type":"event","event":"e","dataType":"xml","data":1}'],
      ['missing data', '{"type":"event","event":"e","dataType":"json"}'],
      ['text data not a string', '{"type":"event","event":"e","dataType":"text","data":1}'],
      ['metadata as list', '{"type":"event","event":"e","data":1,"metadata":[]}'],
      ['metadata value as number', '{"type":"event","event":"e","data":1,"metadata":{"key":1}}'],
      ['metadata key with a space', '{"type":"event","event":"e","data":1,"metadata":{"bad key":"v"}}'],
      ['metadata value not ASCII', '{"type":"event","event":"e","data":1,"metadata":{"key":"é"}}'],
      ['metadata value with CR LF', '{"type":"event","event":"e","data":1,"metadata":{"key":"a\\r\\nb"}}'],
      ['__proto__ payload', '{"type":"event","event":"e","data":1,"metadata":{"__proto__":{"x":"y"}}}'],
      ['event as null', '{"type":"event","event":null,"data":1}'],
    ];
    for (const [name, frame] of corpus) {
      void it(`closes with 1007 on ${name}`, async () => {
        const client = await connect({ role: ALL_ROLES });
        client.send(frame);
        const closed = await client.closed;
        assert.equal(closed.code, 1007, closed.reason);
        assert.ok(closed.reason.length > 0);
      });
    }

    void it('closes with 1003 on a binary frame', async () => {
      const client = await connect();
      client.send(Buffer.from('{"type":"ping"}'));
      assert.equal((await client.closed).code, 1003);
    });

    void it('stays healthy after the corpus: health 200 and a fresh client round-trips', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: emulator.port, method: 'HEAD', path: '/api/health' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, 200);
      const client = await connect({ role: ALL_ROLES, 'webpubsub.group': ['after'] });
      client.send({ type: 'sendToGroup', group: 'after', ackId: 1, dataType: 'text', data: 'still here' });
      assert.equal((await groupMessage(client)).data, 'still here');
      assert.equal(({} as Record<string, unknown>).x, undefined);
      await client.close();
    });
  });

  void describe('frame size limit', () => {
    /** A sendToGroup frame of exactly `size` bytes. */
    function frameOfSize(size: number): string {
      const empty = JSON.stringify({ type: 'sendToGroup', group: 'big', dataType: 'text', data: '' });
      return JSON.stringify({ type: 'sendToGroup', group: 'big', dataType: 'text', data: 'x'.repeat(size - empty.length) });
    }

    void it('accepts a 1,048,576-byte message', async () => {
      const sender = await connect({ role: ALL_ROLES });
      const receiver = await connect({ 'webpubsub.group': ['big'] });
      const frame = frameOfSize(1_048_576);
      assert.equal(Buffer.byteLength(frame), 1_048_576);
      sender.send(frame);
      const message = await groupMessage(receiver);
      assert.equal(message.data.length, 1_048_576 - JSON.stringify({ type: 'sendToGroup', group: 'big', dataType: 'text', data: '' }).length);
      await Promise.all([sender.close(), receiver.close()]);
    });

    void it('closes with 1009 on a 1,048,577-byte message', async () => {
      const sender = await connect({ role: ALL_ROLES });
      sender.send(frameOfSize(1_048_577));
      assert.equal((await sender.closed).code, 1009);
    });
  });
});
