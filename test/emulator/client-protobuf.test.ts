import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { clientToken, nowSeconds } from '../helpers/clientTokens.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { PROTOBUF, PROTOBUF_RELIABLE, is, openProtobufClient, type ProtobufClient } from '../helpers/protobufClient.js';
import { encodeAny, encodeUpstream, wire, type ProtoObject } from '../helpers/protobufMessages.js';
import { openRawClient, type RawClient } from '../helpers/rawClient.js';
import { acceptEverything, startRecordingUpstream, type RecordingUpstream } from '../helpers/recordingUpstream.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';

const HUB = 'proto';
const JSON_PROTOCOL = 'json.webpubsub.azure.v1';
const ROLES = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];
const ANY_TYPE = 'type.googleapis.com/test.Point';

void describe('client endpoint: protobuf subprotocols', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  let service: WebPubSubServiceClient;
  const open: { raw: RawClient }[] = [];

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({
      hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, userEventPattern: '*', systemEvents: ['connected', 'disconnected'] }] } },
    });
    service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
  });
  beforeEach(() => {
    upstream.respondWith(acceptEverything);
  });
  after(async () => {
    for (const client of open) client.raw.ws.terminate();
    await emulator.close();
    await upstream.close();
  });

  const urlFor = (claims: Record<string, unknown> = {}): string =>
    `ws://localhost:${emulator.port}/client/hubs/${HUB}?access_token=${clientToken(emulator.endpoint, HUB, emulator.accessKey, claims)}`;

  async function connect(claims: Record<string, unknown> = {}, protocols: string | string[] = PROTOBUF): Promise<ProtobufClient & { connected: ProtoObject }> {
    const client = await openProtobufClient(urlFor(claims), protocols);
    open.push(client);
    const message = await client.next(is.connected, 'connected');
    return Object.assign(client, { connected: (message.system_message as ProtoObject).connected_message as ProtoObject });
  }

  async function connectJson(claims: Record<string, unknown> = {}): Promise<RawClient> {
    const client = await openRawClient(urlFor(claims), { protocols: JSON_PROTOCOL });
    open.push({ raw: client });
    await client.next((frame) => frame.event === 'connected', 'connected');
    return client;
  }

  const ackOf = async (client: ProtobufClient, ackId: number): Promise<ProtoObject> => (await client.next(is.ack(ackId), `ack ${ackId}`)).ack_message as ProtoObject;
  const dataOf = async (client: ProtobufClient, predicate: (data: ProtoObject) => boolean, what: string): Promise<ProtoObject> =>
    (await client.next(is.data(predicate), what)).data_message as ProtoObject;
  const payloadIs = (name: string, value: unknown) => (data: ProtoObject): boolean => {
    const payload = (data.data as ProtoObject | undefined)?.[name];
    return Buffer.isBuffer(payload) && Buffer.isBuffer(value) ? payload.equals(value) : JSON.stringify(payload) === JSON.stringify(value);
  };

  void describe('negotiation and system messages', () => {
    const cases: [string[], string][] = [
      [[PROTOBUF], PROTOBUF],
      [[PROTOBUF_RELIABLE], PROTOBUF_RELIABLE],
      [['custom.v1', PROTOBUF_RELIABLE, JSON_PROTOCOL], PROTOBUF_RELIABLE],
    ];
    for (const [offered, chosen] of cases) {
      void it(`echoes ${chosen} when offered ${offered.join(', ')}`, async () => {
        const client = await connect({}, offered);
        assert.equal(client.protocol, chosen);
        await client.close();
      });
    }

    void it('greets with connection and user id; only reliable clients get a reconnection token', async () => {
      const plain = await connect({ sub: 'ann' });
      assert.equal(plain.connected.user_id, 'ann');
      assert.match(plain.connected.connection_id as string, /^[\w-]{22}$/);
      assert.equal(plain.connected.reconnection_token, undefined);
      const reliable = await connect({}, PROTOBUF_RELIABLE);
      assert.equal(reliable.connected.user_id, undefined, 'an anonymous user is the empty default');
      assert.match(reliable.connected.reconnection_token as string, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(reliable.raw.frames.received.every((frame) => frame.binary), true);
      await Promise.all([plain.close(), reliable.close()]);
    });

    void it('answers ping with pong', async () => {
      const client = await connect();
      client.send({ ping_message: {} });
      assert.deepEqual(await client.next(is.pong, 'pong'), { pong_message: {} });
      await client.close();
    });

    void it('sends disconnected with the reason before a REST close', async () => {
      const client = await connect();
      await service.closeConnection(client.connected.connection_id as string, { reason: 'bye now' });
      const message = await client.next(is.disconnected, 'disconnected');
      assert.deepEqual(message, { system_message: { disconnected_message: { reason: 'bye now' } } });
      assert.deepEqual(await client.closed, { code: 1000, reason: 'bye now' });
    });
  });

  void describe('groups, acks and permissions', () => {
    void it('joins, publishes, leaves; acks each request and de-duplicates ackIds', async () => {
      const client = await connect({ role: ROLES, sub: 'pub' });
      client.send({ join_group_message: { group: 'g1', ack_id: 1 } });
      assert.deepEqual(await ackOf(client, 1), { ack_id: 1, success: true });
      client.send({ send_to_group_message: { group: 'g1', ack_id: 2, data: { text_data: 'hello' }, metadata: { k: 'v' } } });
      const data = await dataOf(client, payloadIs('text_data', 'hello'), 'own group message');
      assert.deepEqual(data, { from: 'group', group: 'g1', data: { text_data: 'hello' }, metadata: { k: 'v' } });
      assert.equal((await ackOf(client, 2)).success, true);
      client.send({ send_to_group_message: { group: 'g1', ack_id: 2, data: { text_data: 'again' } } });
      const duplicate = await client.next((message) => is.ack(2)(message) && (message.ack_message as ProtoObject).error !== undefined, 'duplicate ack');
      assert.deepEqual(duplicate.ack_message, { ack_id: 2, error: { name: 'Duplicate', message: 'Message with ack-id: 2 has been processed' } });
      client.send({ send_to_group_message: { group: 'g1', ack_id: 3, no_echo: true, data: { text_data: 'quiet' } } });
      await ackOf(client, 3);
      client.send({ leave_group_message: { group: 'g1', ack_id: 4 } });
      await ackOf(client, 4);
      client.send({ ping_message: {} });
      await client.next(is.pong, 'pong');
      assert.equal(client.messages().some(is.data(payloadIs('text_data', 'quiet'))), false, 'noEcho keeps the sender out');
      assert.equal(client.messages().some(is.data(payloadIs('text_data', 'again'))), false, 'a duplicate is not executed');
      assert.equal(emulator.hubs.get(HUB).groupExists('g1'), false);
      await client.close();
    });

    void it('answers Forbidden without a role and BadRequest for an invalid group, and stays connected', async () => {
      const client = await connect();
      client.send({ join_group_message: { group: 'locked', ack_id: 1 } });
      assert.equal(((await ackOf(client, 1)).error as ProtoObject).name, 'Forbidden');
      client.send({ send_to_group_message: { group: 'locked', ack_id: 2, data: { binary_data: Buffer.from([1]) } } });
      assert.equal(((await ackOf(client, 2)).error as ProtoObject).name, 'Forbidden');
      client.send({ join_group_message: { group: '', ack_id: 3 } });
      assert.equal(((await ackOf(client, 3)).error as ProtoObject).name, 'BadRequest');
      // A runtime grant takes effect on the next request; the failed ackId may be reused.
      await service.grantPermission(client.connected.connection_id as string, 'joinLeaveGroup', { targetName: 'locked' });
      client.send({ join_group_message: { group: 'locked', ack_id: 1 } });
      assert.equal((await client.next((message) => is.ack(1)(message) && (message.ack_message as ProtoObject).success === true, 'granted join')).ack_message !== undefined, true);
      await client.close();
    });

    void it('skips unknown fields of every wire type, as protobuf readers must', async () => {
      const client = await connect();
      const join = Buffer.concat([
        wire.delimited(1, Buffer.from('g')),
        wire.key(15, 0), wire.varint(2n ** 64n - 1n),
        wire.key(16, 1), Buffer.alloc(8),
        wire.key(2, 0), wire.varint(5),
        wire.key(17, 5), Buffer.alloc(4),
        wire.delimited(18, Buffer.from('x')),
      ]);
      client.sendRaw(Buffer.concat([wire.key(99, 0), wire.varint(1), wire.delimited(6, join), wire.delimited(100, Buffer.from('tail'))]));
      assert.deepEqual(await ackOf(client, 5), { ack_id: 5, error: { name: 'Forbidden', message: "The connection has no permission to join group 'g'." } });
      await client.close();
    });
  });

  void describe('events', () => {
    void it('sends each data type upstream with its content type and returns the reply as a server message', async () => {
      const client = await connect();
      const any = encodeAny(ANY_TYPE, Buffer.from([8, 1, 16, 2]));
      upstream.respondWith((request) => (request.event === 'echo' ? { status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body: request.body } : { status: 200 }));
      const cases: [ProtoObject, string, Buffer][] = [
        [{ text_data: 'hi' }, 'text/plain', Buffer.from('hi')],
        [{ json_data: '{"a":1}' }, 'application/json', Buffer.from('{"a":1}')],
        [{ binary_data: Buffer.from([0, 255]) }, 'application/octet-stream', Buffer.from([0, 255])],
        [{ protobuf_data: { type_url: ANY_TYPE, value: Buffer.from([8, 1, 16, 2]) } }, 'application/x-protobuf', any],
      ];
      let ackId = 0;
      for (const [data, contentType, body] of cases) {
        ackId++;
        client.send({ event_message: { event: 'note', ack_id: ackId, data, metadata: { trace: String(ackId) } } });
        assert.equal((await ackOf(client, ackId)).success, true);
        const request = await upstream.requests.next((candidate) => candidate.event === 'note' && candidate.headers['x-webpubsub-metadata-trace'] === String(ackId), `event ${ackId}`);
        assert.equal(request.headers['content-type'], contentType);
        assert.equal(request.headers['ce-subprotocol'], PROTOBUF);
        assert.deepEqual(request.body, body);
      }
      client.send({ event_message: { event: 'echo', ack_id: 10, data: { protobuf_data: { type_url: ANY_TYPE, value: Buffer.from([8, 1, 16, 2]) } } } });
      const reply = await dataOf(client, (data) => data.from === 'server', 'the reply');
      assert.deepEqual(reply, { from: 'server', data: { protobuf_data: { type_url: ANY_TYPE, value: Buffer.from([8, 1, 16, 2]) } } });
      assert.equal((await ackOf(client, 10)).success, true);
      const order = client.messages().filter((message) => message.data_message !== undefined || is.ack(10)(message));
      assert.ok(order[0]?.data_message !== undefined, 'the reply comes before the ack');
      await client.close();
    });

    void it('acks a failing event with InternalServerError and an invalid event name with BadRequest', async () => {
      const client = await connect();
      upstream.respondWith(() => ({ status: 500 }));
      client.send({ event_message: { event: 'boom', ack_id: 1, data: { text_data: 'x' } } });
      assert.equal(((await ackOf(client, 1)).error as ProtoObject).name, 'InternalServerError');
      client.send({ event_message: { event: '1bad', ack_id: 2, data: { text_data: 'x' } } });
      assert.equal(((await ackOf(client, 2)).error as ProtoObject).name, 'BadRequest');
      await client.close();
    });
  });

  void describe('mixed JSON and protobuf recipients', () => {
    void it('converts every data type between the subprotocols', async () => {
      const proto = await connect({ role: ROLES, 'webpubsub.group': ['mix'] });
      const json = await connectJson({ role: ROLES, 'webpubsub.group': ['mix'], sub: 'j' });
      const any = encodeAny(ANY_TYPE, Buffer.from('payload'));

      proto.send({ send_to_group_message: { group: 'mix', data: { protobuf_data: { type_url: ANY_TYPE, value: Buffer.from('payload') } }, metadata: { m: '1' } } });
      const fromProto = await json.next((frame) => frame.type === 'message' && frame.dataType === 'protobuf', 'protobuf as JSON');
      assert.deepEqual(fromProto, { type: 'message', from: 'group', group: 'mix', fromUserId: null, dataType: 'protobuf', data: any.toString('base64'), metadata: { m: '1' } });
      proto.send({ send_to_group_message: { group: 'mix', data: { json_data: '{"n":[1,2]}' } } });
      assert.deepEqual((await json.next((frame) => frame.dataType === 'json', 'json as JSON')).data, { n: [1, 2] });

      json.send({ type: 'sendToGroup', group: 'mix', dataType: 'text', data: 'plain' });
      json.send({ type: 'sendToGroup', group: 'mix', dataType: 'json', data: { ok: true } });
      json.send({ type: 'sendToGroup', group: 'mix', dataType: 'binary', data: Buffer.from([1, 2, 3]).toString('base64') });
      json.send({ type: 'sendToGroup', group: 'mix', dataType: 'protobuf', data: any.toString('base64') });
      await dataOf(proto, payloadIs('text_data', 'plain'), 'text');
      await dataOf(proto, payloadIs('json_data', '{"ok":true}'), 'json');
      await dataOf(proto, payloadIs('binary_data', Buffer.from([1, 2, 3])), 'binary');
      // The first protobuf message the client saw is its own (with metadata); this one came from JSON.
      const protobuf = await dataOf(proto, (data) => (data.data as ProtoObject).protobuf_data !== undefined && data.metadata === undefined, 'protobuf');
      assert.deepEqual(protobuf, { from: 'group', group: 'mix', data: { protobuf_data: { type_url: ANY_TYPE, value: Buffer.from('payload') } } });

      await service.sendToAll({ hello: 'all' });
      await service.sendToAll('words', { contentType: 'text/plain' });
      await service.sendToAll(new Uint8Array([9, 9]).buffer);
      assert.deepEqual(await dataOf(proto, payloadIs('json_data', '{"hello":"all"}'), 'REST json'), { from: 'server', data: { json_data: '{"hello":"all"}' } });
      await dataOf(proto, payloadIs('text_data', 'words'), 'REST text');
      await dataOf(proto, payloadIs('binary_data', Buffer.from([9, 9])), 'REST binary');
      await proto.close();
      await json.close();
    });

    void it('refuses a JSON protobuf payload that is not a google.protobuf.Any (1007)', async () => {
      const json = await connectJson({ role: ROLES });
      json.send({ type: 'sendToGroup', group: 'mix', dataType: 'protobuf', data: Buffer.from([0xff]).toString('base64') });
      assert.equal((await json.closed).code, 1007);
    });
  });

  void describe('malformed frames', () => {
    const malformed: [string, Buffer | string, number][] = [
      ['a text frame', 'hello', 1003],
      ['an empty frame', Buffer.alloc(0), 1007],
      ['a cut varint', Buffer.from([0x08, 0x80]), 1007],
      ['a varint over ten bytes', Buffer.from([0x08, ...Array<number>(10).fill(0x80), 0x01]), 1007],
      ['a length past the end', Buffer.from([0x32, 0x05, 0x0a, 0x01]), 1007],
      ['field number 0', Buffer.from([0x02, 0x00]), 1007],
      ['a group wire type', Buffer.from([0x0b, 0x0c]), 1007],
      ['a request with the wrong wire type', Buffer.from([0x30, 0x01]), 1007],
      ['only unknown fields', Buffer.concat([wire.key(40, 0), wire.varint(1)]), 1007],
      ['a group name that is not UTF-8', wire.delimited(6, wire.delimited(1, Buffer.from([0xc3, 0x28]))), 1007],
      ['an ackId beyond 2^53', encodeUpstream({ join_group_message: { group: 'g', ack_id: 2n ** 53n } }), 1007],
      ['ttl_seconds over 300', encodeUpstream({ send_to_group_message: { group: 'g', ttl_seconds: 301, data: { text_data: 'x' } } }), 1007],
      ['a stream request', encodeUpstream({ send_to_group_message: { group: 'g', stream: { stream_id: 's' }, data: { text_data: 'x' } } }), 1007],
      ['an invocation', encodeUpstream({ invoke_event_message: { event: 'e', invocation_id: '1' } }), 1007],
      ['a send without data', encodeUpstream({ send_to_group_message: { group: 'g' } }), 1007],
      ['json_data that is not JSON', encodeUpstream({ event_message: { event: 'e', data: { json_data: '{nope' } } }), 1007],
      ['an invalid metadata name', encodeUpstream({ event_message: { event: 'e', data: { text_data: 'x' }, metadata: { 'bad name': 'v' } } }), 1007],
    ];
    for (const [what, frame, code] of malformed) {
      void it(`closes on ${what} with ${code}`, async () => {
        const client = await connect();
        client.sendRaw(frame);
        const closed = await client.closed;
        assert.equal(closed.code, code);
        assert.ok(closed.reason.length > 0);
      });
    }

    void it('closes on protobuf_data that is not an Any with 1007', async () => {
      const client = await connect();
      const data = wire.delimited(3, Buffer.from([0x0a, 0x05, 0x61]));
      client.sendRaw(wire.delimited(5, Buffer.concat([wire.delimited(1, Buffer.from('e')), wire.delimited(2, data)])));
      assert.equal((await client.closed).code, 1007);
    });
  });
});

void describe('protobuf.reliable.webpubsub.azure.v1: sequence ids and recovery through a cut TCP proxy', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;
  let proxy: TcpProxy;

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({ hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, systemEvents: ['connected', 'disconnected'] }] } } });
    proxy = await startTcpProxy(emulator.port);
  });
  after(async () => {
    await proxy.close();
    await emulator.close();
    await upstream.close();
  });

  const endpoint = (): string => `http://localhost:${proxy.port}`;
  const token = (claims: Record<string, unknown>): string => clientToken(endpoint(), HUB, emulator.accessKey, claims);
  const baseUrl = (): string => `ws://localhost:${proxy.port}/client/hubs/${HUB}`;

  void it('numbers data messages, replays the un-acked ones in order after a cut, and keeps the ackId memory', async () => {
    const subscriber = await openProtobufClient(`${baseUrl()}?access_token=${token({ role: ROLES, 'webpubsub.group': ['r'] })}`, PROTOBUF_RELIABLE);
    const connected = ((await subscriber.next(is.connected, 'connected')).system_message as ProtoObject).connected_message as ProtoObject;
    const publisher = await openRawClient(`ws://localhost:${emulator.port}/client/hubs/${HUB}?access_token=${clientToken(emulator.endpoint, HUB, emulator.accessKey, { role: ROLES })}`, { protocols: JSON_PROTOCOL });
    const big = 'x'.repeat(20_000);
    for (let i = 1; i <= 4; i++) publisher.send({ type: 'sendToGroup', group: 'r', dataType: 'text', data: i === 4 ? big : `m${i}` });
    await subscriber.next(is.data((data) => data.sequence_id === 4), 'message 4');
    const sequenced = subscriber.messages().filter((message) => message.data_message !== undefined).map((message) => message.data_message as ProtoObject);
    assert.deepEqual(sequenced.map((data) => [data.sequence_id, ((data.data as ProtoObject).text_data as string).length]), [[1, 2], [2, 2], [3, 2], [4, 20_000]]);
    subscriber.send({ sequence_ack_message: { sequence_id: 2 } });
    subscriber.send({ send_to_group_message: { group: 'r', ack_id: 7, no_echo: true, data: { text_data: 'once' } } });
    await subscriber.next(is.ack(7), 'ack 7');

    proxy.cut();
    for (let i = 5; i <= 6; i++) publisher.send({ type: 'sendToGroup', group: 'r', dataType: 'text', data: `m${i}` });
    publisher.send({ type: 'ping' });
    await publisher.next((frame) => frame.type === 'pong', 'pong');

    // As the SDKs do: the original URL, its token now stale, plus the recovery parameters.
    const recoveryUrl = `${baseUrl()}?access_token=${token({ exp: nowSeconds() - 3600 })}&awps_connection_id=${encodeURIComponent(connected.connection_id as string)}&awps_reconnection_token=${encodeURIComponent(connected.reconnection_token as string)}`;
    let recovered: ProtobufClient | undefined;
    for (let attempt = 0; recovered === undefined; attempt++) {
      const candidate = await openProtobufClient(recoveryUrl, PROTOBUF_RELIABLE);
      const outcome = await Promise.race([candidate.closed, candidate.next(is.data(), 'a replayed message', 2_000)]);
      if ('code' in outcome) assert.ok(attempt < 20 && /still connected/.test(outcome.reason as string), `recovery refused: ${outcome.reason as string}`);
      else recovered = candidate;
    }
    assert.equal(recovered.protocol, PROTOBUF_RELIABLE);
    await recovered.next(is.data((data) => data.sequence_id === 6), 'replayed message 6');
    const replayed = recovered.messages().filter((message) => message.data_message !== undefined).map((message) => message.data_message as ProtoObject);
    assert.deepEqual(replayed.map((data) => data.sequence_id), [3, 4, 5, 6]);
    assert.equal(((replayed[1]!.data as ProtoObject).text_data as string).length, 20_000);
    assert.equal(recovered.messages().some(is.connected), false, 'no second connected message');

    recovered.send({ send_to_group_message: { group: 'r', ack_id: 7, data: { text_data: 'once' } } });
    const duplicate = await recovered.next(is.ack(7), 'ack 7 again');
    assert.equal(((duplicate.ack_message as ProtoObject).error as ProtoObject).name, 'Duplicate');
    assert.equal(upstream.count('disconnected', connected.connection_id as string), 0);
    await recovered.close();
    await publisher.close();
  });
});
