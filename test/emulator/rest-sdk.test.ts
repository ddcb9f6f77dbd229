/**
 * Every REST operation of api-version 2024-12-01 through `@azure/web-pubsub` (which rejects any
 * success status but the declared one), against a running emulator, with real WebSocket clients
 * receiving what REST sends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { odata } from '@azure/web-pubsub';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { assertNotReceived, closeAll, connect, connectUrl, hasMessage, message, rest, serviceClient, type Connected } from './rest-fixtures.js';

void describe('REST API through the SDK', () => {
  let emulator: StartedEmulator;
  const opened: Connected[] = [];
  const track = (connected: Connected): Connected => {
    opened.push(connected);
    return connected;
  };

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await closeAll(opened);
    await emulator.close();
  });

  void it('sendToAll: text, JSON and binary reach JSON and raw clients; excluded and filter narrow it', async () => {
    const service = serviceClient(emulator, 'sendAll');
    const alice = track(await connect(service, { userId: 'alice' }));
    const bob = track(await connect(service, { userId: 'bob' }));
    const raw = track(await connect(service, { raw: true }));

    await service.sendToAll('plain text', { contentType: 'text/plain' });
    for (const { client } of [alice, bob]) {
      assert.deepEqual(await message(client, 'plain text'), { type: 'message', from: 'server', dataType: 'text', data: 'plain text' });
    }
    assert.equal((await raw.client.frames.next((f) => !f.binary && f.data.toString() === 'plain text', 'raw text')).binary, false);

    await service.sendToAll({ kind: 'json', n: 1 });
    assert.equal((await message(alice.client, { kind: 'json', n: 1 })).dataType, 'json');
    await raw.client.frames.next((f) => f.data.toString() === '{"kind":"json","n":1}', 'raw JSON text');

    // A string without contentType is JSON: raw clients see the quotes.
    await service.sendToAll('quoted');
    assert.equal((await message(bob.client, 'quoted')).dataType, 'json');
    await raw.client.frames.next((f) => f.data.toString() === '"quoted"', 'raw quoted JSON string');

    await service.sendToAll(new Uint8Array([0, 1, 2, 254, 255]).buffer);
    const binary = await message(alice.client, Buffer.from([0, 1, 2, 254, 255]).toString('base64'));
    assert.equal(binary.dataType, 'binary');
    const rawBinary = await raw.client.frames.next((f) => f.binary, 'a raw binary frame');
    assert.deepEqual([...rawBinary.data], [0, 1, 2, 254, 255]);

    await service.sendToAll('not for bob', { contentType: 'text/plain', excludedConnections: [bob.connectionId] });
    await message(alice.client, 'not for bob');
    await service.sendToAll('only bob', { contentType: 'text/plain', filter: odata`userId eq ${'bob'}` });
    await message(bob.client, 'only bob');
    await assertNotReceived(service, [bob], 'not for bob');
    await assertNotReceived(service, [alice], 'only bob');
  });

  void it('sendToUser reaches every connection of that user only; filter narrows it', async () => {
    const service = serviceClient(emulator, 'sendUser');
    const first = track(await connect(service, { userId: "o'neil" }));
    const second = track(await connect(service, { userId: "o'neil" }));
    const other = track(await connect(service, { userId: 'O\'NEIL' }));

    await service.sendToUser("o'neil", 'to the user', { contentType: 'text/plain' });
    await message(first.client, 'to the user');
    await message(second.client, 'to the user');
    await service.sendToUser("o'neil", 'filtered', { contentType: 'text/plain', filter: odata`connectionId eq ${second.connectionId}` });
    await message(second.client, 'filtered');
    await service.sendToUser('nobody', 'lost', { contentType: 'text/plain' });
    await assertNotReceived(service, [first], 'filtered');
    await assertNotReceived(service, [other], 'to the user');
  });

  void it('sendToConnection reaches exactly that connection; a missing one is accepted', async () => {
    const service = serviceClient(emulator, 'sendConnection');
    const target = track(await connect(service));
    const bystander = track(await connect(service));
    await service.sendToConnection(target.connectionId, { to: 'target' }, { messageTtlSeconds: 30 });
    assert.deepEqual(await message(target.client, { to: 'target' }), { type: 'message', from: 'server', dataType: 'json', data: { to: 'target' } });
    await service.sendToConnection('no-such-connection', 'nobody', { contentType: 'text/plain' });
    await assertNotReceived(service, [bystander], { to: 'target' });
  });

  void it('X-WebPubSub-Metadata-* headers reach clients as message metadata', async () => {
    const service = serviceClient(emulator, 'metadata');
    const target = track(await connect(service));
    const response = await rest(emulator, 'POST', `/api/hubs/metadata/connections/${target.connectionId}/:send?api-version=2024-12-01`, {
      body: 'with metadata',
      headers: { 'Content-Type': 'text/plain', 'X-WebPubSub-Metadata-Trace': 'rest-trace' },
    });
    assert.equal(response.status, 202);
    assert.deepEqual((await message(target.client, 'with metadata')).metadata, { trace: 'rest-trace' });
  });

  void it('group sends arrive from the group; excluded and filter apply; members only', async () => {
    const service = serviceClient(emulator, 'sendGroup');
    const a = track(await connect(service, { userId: 'a', groups: ['room 1'] }));
    const b = track(await connect(service, { userId: 'b', groups: ['room 1'] }));
    const outsider = track(await connect(service, { userId: 'c' }));
    const room = service.group('room 1');

    await room.sendToAll('hello room', { contentType: 'text/plain' });
    for (const { client } of [a, b]) {
      const { fromUserId, ...rest } = await message(client, 'hello room');
      assert.deepEqual(rest, { type: 'message', from: 'group', group: 'room 1', dataType: 'text', data: 'hello room' });
      assert.equal(fromUserId ?? null, null, 'REST group sends have no sending user');
    }
    await room.sendToAll({ skip: 'b' }, { excludedConnections: [b.connectionId] });
    await message(a.client, { skip: 'b' });
    await room.sendToAll('only a', { contentType: 'text/plain', filter: "userId in ('a', 'c')" });
    await message(a.client, 'only a');
    await assertNotReceived(service, [b], { skip: 'b' });
    await assertNotReceived(service, [b, outsider], 'only a');
    await assertNotReceived(service, [outsider], 'hello room');
  });

  void it('exists checks: connection, user and group', async () => {
    const service = serviceClient(emulator, 'exists');
    const member = track(await connect(service, { userId: 'present', groups: ['here'] }));
    assert.equal(await service.connectionExists(member.connectionId), true);
    assert.equal(await service.connectionExists('absent'), false);
    assert.equal(await service.userExists('present'), true);
    assert.equal(await service.userExists('absent'), false);
    assert.equal(await service.groupExists('here'), true);
    assert.equal(await service.groupExists('Here'), false);
    assert.equal(await serviceClient(emulator, 'EXISTS').connectionExists(member.connectionId), true, 'hub names are case-insensitive');
  });

  void it('group membership: add/remove connection and user, remove from all groups', async () => {
    const service = serviceClient(emulator, 'membership');
    const x1 = track(await connect(service, { userId: 'x' }));
    const x2 = track(await connect(service, { userId: 'x' }));
    const y = track(await connect(service, { userId: 'y' }));
    const room = service.group('room');

    await room.addConnection(y.connectionId);
    await room.addUser('x');
    assert.equal(await service.groupExists('room'), true);
    await room.sendToAll('all three', { contentType: 'text/plain' });
    for (const { client } of [x1, x2, y]) await message(client, 'all three');

    await room.removeConnection(y.connectionId);
    await room.removeUser('x');
    assert.equal(await service.groupExists('room'), false);
    await room.sendToAll('nobody left', { contentType: 'text/plain' });
    await assertNotReceived(service, [x1, x2, y], 'nobody left');

    await service.group('g1').addUser('x');
    await service.group('g2').addConnection(y.connectionId);
    await service.removeUserFromAllGroups('x');
    await service.removeConnectionFromAllGroups(y.connectionId);
    assert.equal(await service.groupExists('g1'), false);
    assert.equal(await service.groupExists('g2'), false);

    await assert.rejects(room.addConnection('absent'), (error: any) => error.statusCode === 404);
    await assert.rejects(room.addUser('absent'), (error: any) => error.statusCode === 404);
    await room.removeConnection('absent');
    await room.removeUser('absent');
  });

  void it('addConnectionsToGroups / removeConnectionsFromGroups select by filter (empty: everyone)', async () => {
    const service = serviceClient(emulator, 'byFilter');
    const vip = track(await connect(service, { userId: 'vip' }));
    const guest = track(await connect(service, { userId: 'guest', groups: ['lobby'] }));

    await service.addConnectionsToGroups(['gold', 'silver'], "userId eq 'vip'");
    await service.group('gold').sendToAll('gold only', { contentType: 'text/plain' });
    await message(vip.client, 'gold only');
    await assertNotReceived(service, [guest], 'gold only');

    await service.addConnectionsToGroups(['everyone'], '');
    await service.group('everyone').sendToAll('for everyone', { contentType: 'text/plain' });
    await message(vip.client, 'for everyone');
    await message(guest.client, 'for everyone');

    await service.removeConnectionsFromGroups(['everyone', 'silver'], "'lobby' in groups");
    await service.group('everyone').sendToAll('guest removed', { contentType: 'text/plain' });
    await message(vip.client, 'guest removed');
    await assertNotReceived(service, [guest], 'guest removed');
    assert.equal(await service.groupExists('silver'), true);
  });

  void it('closeConnection: disconnected with the reason, then close 1000; default reason', async () => {
    const service = serviceClient(emulator, 'closeOne');
    const first = track(await connect(service));
    const second = track(await connect(service));
    await service.closeConnection(first.connectionId, { reason: 'maintenance' });
    assert.deepEqual(await first.client.next((m) => m.type === 'system' && m.event === 'disconnected', 'disconnected'), {
      type: 'system',
      event: 'disconnected',
      message: 'maintenance',
    });
    assert.equal((await first.client.closed).code, 1000);
    assert.equal(await service.connectionExists(first.connectionId), false);

    await service.closeConnection(second.connectionId);
    const disconnected = await second.client.next((m) => m.event === 'disconnected', 'disconnected');
    assert.equal(disconnected.message, 'Closed by REST API.');
    assert.equal((await second.client.closed).code, 1000);
    await service.closeConnection('absent');
  });

  void it('closeAllConnections, closeUserConnections and group closeAllConnections honour excluded', async () => {
    const service = serviceClient(emulator, 'closeMany');
    const keep = track(await connect(service, { userId: 'keep', groups: ['g'] }));
    const u1 = track(await connect(service, { userId: 'u' }));
    const u2 = track(await connect(service, { userId: 'u' }));
    const g1 = track(await connect(service, { userId: 'g1', groups: ['g'] }));
    const g2 = track(await connect(service, { userId: 'g2', groups: ['g'] }));
    const rest1 = track(await connect(service, { userId: 'r1' }));

    await service.closeUserConnections('u', { reason: 'user gone', excluded: [u2.connectionId] } as never);
    assert.equal((await u1.client.next((m) => m.event === 'disconnected', 'disconnected')).message, 'user gone');
    assert.equal((await u1.client.closed).code, 1000);

    await service.group('g').closeAllConnections({ reason: 'group gone', excluded: [keep.connectionId] } as never);
    for (const { client } of [g1, g2]) {
      assert.equal((await client.next((m) => m.event === 'disconnected', 'disconnected')).message, 'group gone');
      assert.equal((await client.closed).code, 1000);
    }

    await service.closeAllConnections({ reason: 'hub gone', excluded: [keep.connectionId] } as never);
    for (const { client } of [u2, rest1]) {
      assert.equal((await client.next((m) => m.event === 'disconnected', 'disconnected')).message, 'hub gone');
      assert.equal((await client.closed).code, 1000);
    }
    assert.equal(await service.connectionExists(keep.connectionId), true);
    await assertNotReceived(service, [keep], 'never sent');
  });

  void it('permissions: grant, check and revoke change what a client may do', async () => {
    const service = serviceClient(emulator, 'permissions');
    const member = track(await connect(service));
    const listener = track(await connect(service, { groups: ['stage'] }));
    let ackId = 0;
    const act = async (frame: Record<string, unknown>): Promise<any> => {
      const id = ++ackId;
      member.client.send({ ...frame, ackId: id });
      return member.client.next((m) => m.type === 'ack' && m.ackId === id, `ack ${id}`);
    };

    assert.equal(await service.hasPermission(member.connectionId, 'joinLeaveGroup', { targetName: 'stage' }), false);
    assert.equal((await act({ type: 'joinGroup', group: 'stage' })).success, false);
    await service.grantPermission(member.connectionId, 'joinLeaveGroup', { targetName: 'stage' });
    assert.equal(await service.hasPermission(member.connectionId, 'joinLeaveGroup', { targetName: 'stage' }), true);
    assert.equal(await service.hasPermission(member.connectionId, 'joinLeaveGroup', { targetName: 'backstage' }), false);
    assert.equal((await act({ type: 'joinGroup', group: 'stage' })).success, true);

    assert.equal((await act({ type: 'sendToGroup', group: 'stage', dataType: 'text', data: 'denied' })).error.name, 'Forbidden');
    await service.grantPermission(member.connectionId, 'sendToGroup', { targetName: 'stage' });
    assert.equal((await act({ type: 'sendToGroup', group: 'stage', dataType: 'text', data: 'allowed' })).success, true);
    await message(listener.client, 'allowed');
    assert.equal(hasMessage(listener.client, 'denied'), false);

    await service.revokePermission(member.connectionId, 'joinLeaveGroup', { targetName: 'stage' });
    assert.equal(await service.hasPermission(member.connectionId, 'joinLeaveGroup', { targetName: 'stage' }), false);
    assert.equal((await act({ type: 'leaveGroup', group: 'stage' })).error.name, 'Forbidden');

    assert.equal(await service.hasPermission('absent', 'sendToGroup', { targetName: 'stage' }), false);
    await assert.rejects(service.grantPermission('absent', 'sendToGroup', { targetName: 'stage' }), (error: any) => error.statusCode === 404);
    await service.revokePermission('absent', 'sendToGroup', { targetName: 'stage' });
  });

  void it('listConnections returns the members with their user ids', async () => {
    const service = serviceClient(emulator, 'listing');
    const named = track(await connect(service, { userId: 'named', groups: ['g'] }));
    const anonymous = track(await connect(service, { groups: ['g'] }));
    const members = [];
    for await (const member of await service.group('g').listConnections()) members.push(member);
    const expected = [
      { connectionId: named.connectionId, userId: 'named' },
      { connectionId: anonymous.connectionId },
    ].sort((x, y) => (x.connectionId < y.connectionId ? -1 : 1));
    assert.deepEqual(members, expected);
    const none = [];
    for await (const member of await service.group('empty').listConnections()) none.push(member);
    assert.deepEqual(none, []);
  });

  void it(':generateToken mints a token clients can connect with', async () => {
    const service = serviceClient(emulator, 'tokens');
    // The public API only calls :generateToken with a TokenCredential (HTTPS only); the generated
    // operation is the same SDK code path, authenticated with the key.
    const generated = (service as any).client.webPubSub;
    const { token } = (await generated.generateClientToken('tokens', {
      userId: 'minted',
      roles: ['webpubsub.joinLeaveGroup'],
      groups: ['minted-room'],
      expirationTimeInMinutes: 5,
    })) as { token: string };
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    assert.equal(payload.aud, `${emulator.endpoint}/client/hubs/tokens`);
    assert.equal(payload.exp - payload.iat, 300);

    const client = track(await connectUrl(`${emulator.endpoint.replace(/^http/, 'ws')}/client/hubs/tokens?access_token=${token}`));
    assert.equal(await service.userExists('minted'), true);
    await service.group('minted-room').sendToAll('minted member', { contentType: 'text/plain' });
    await message(client.client, 'minted member');

    const mqtt = (await generated.generateClientToken('tokens', { clientType: 'MQTT' })) as { token: string };
    assert.equal(JSON.parse(Buffer.from(mqtt.token.split('.')[1]!, 'base64url').toString('utf8')).aud, `${emulator.endpoint}/clients/mqtt/hubs/tokens`);
  });
});
