/**
 * The REST handler alone: a tiny node:http server around `createRestHandler` and a recording
 * hub. Checks routing, authentication, validation and what each operation asks of the hub,
 * through the official SDK (strict about success codes) and raw requests.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebPubSubServiceClient, odata } from '@azure/web-pubsub';
import { signJwt } from '../../emulator/auth/jwt.js';
import { buildConfig } from '../../emulator/configInput.js';
import type {
  CloseOptions,
  ConnectionFilter,
  GroupMember,
  Hub,
  HubRegistry,
  OutboundMessage,
  Permission,
  SendOptions,
} from '../../emulator/hub/types.js';
import { silentLogger } from '../../emulator/log.js';
import { createRestHandler } from '../../emulator/rest/index.js';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const SECONDARY = 'secondary-key-0123456789-abcdefghijklmnop';

interface Call {
  readonly hub: string;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Records every call; existence answers come from the sets below. */
class RecordingHub implements Hub {
  constructor(
    readonly name: string,
    private readonly state: FakeState,
  ) {}
  private record(method: string, ...args: unknown[]): void {
    this.state.calls.push({ hub: this.name, method, args });
  }
  sendToAll(message: OutboundMessage, options?: SendOptions): void { this.record('sendToAll', message, options); }
  sendToUser(userId: string, message: OutboundMessage, options?: SendOptions): void { this.record('sendToUser', userId, message, options); }
  sendToConnection(connectionId: string, message: OutboundMessage): void { this.record('sendToConnection', connectionId, message); }
  sendToGroup(group: string, message: OutboundMessage, options?: SendOptions): void { this.record('sendToGroup', group, message, options); }
  connectionExists(connectionId: string): boolean { return this.state.connections.has(connectionId); }
  userExists(userId: string): boolean { return this.state.users.has(userId); }
  groupExists(group: string): boolean { return this.state.groups.has(group); }
  closeConnection(connectionId: string, reason?: string): void { this.record('closeConnection', connectionId, reason); }
  closeAll(options?: CloseOptions): void { this.record('closeAll', options); }
  closeUser(userId: string, options?: CloseOptions): void { this.record('closeUser', userId, options); }
  closeGroup(group: string, options?: CloseOptions): void { this.record('closeGroup', group, options); }
  addConnectionToGroup(group: string, connectionId: string): boolean {
    this.record('addConnectionToGroup', group, connectionId);
    return this.state.connections.has(connectionId);
  }
  removeConnectionFromGroup(group: string, connectionId: string): void { this.record('removeConnectionFromGroup', group, connectionId); }
  removeConnectionFromAllGroups(connectionId: string): void { this.record('removeConnectionFromAllGroups', connectionId); }
  addUserToGroup(group: string, userId: string): boolean {
    this.record('addUserToGroup', group, userId);
    return this.state.users.has(userId);
  }
  removeUserFromGroup(group: string, userId: string): void { this.record('removeUserFromGroup', group, userId); }
  removeUserFromAllGroups(userId: string): void { this.record('removeUserFromAllGroups', userId); }
  addConnectionsToGroups(groups: readonly string[], filter?: ConnectionFilter): void { this.record('addConnectionsToGroups', groups, filter); }
  removeConnectionsFromGroups(groups: readonly string[], filter?: ConnectionFilter): void { this.record('removeConnectionsFromGroups', groups, filter); }
  listGroupMembers(group: string): readonly GroupMember[] { return this.state.members.get(group) ?? []; }
  grantPermission(connectionId: string, permission: Permission, targetName?: string): boolean {
    this.record('grantPermission', connectionId, permission, targetName);
    return this.state.connections.has(connectionId);
  }
  revokePermission(connectionId: string, permission: Permission, targetName?: string): void {
    this.record('revokePermission', connectionId, permission, targetName);
  }
  hasPermission(connectionId: string, permission: Permission, targetName?: string): boolean {
    return this.state.permissions.has(`${connectionId}/${permission}/${targetName ?? ''}`);
  }
}

class FakeState implements HubRegistry {
  calls: Call[] = [];
  connections = new Set<string>();
  users = new Set<string>();
  groups = new Set<string>();
  permissions = new Set<string>();
  members = new Map<string, GroupMember[]>();
  get(name: string): Hub { return new RecordingHub(name, this); }
  reset(): void {
    this.calls = [];
    this.connections.clear();
    this.users.clear();
    this.groups.clear();
    this.permissions.clear();
    this.members.clear();
  }
  only(): Call {
    assert.equal(this.calls.length, 1, `expected one hub call, got ${JSON.stringify(this.calls.map((c) => c.method))}`);
    return this.calls[0]!;
  }
}

function text(message: unknown): { dataType: string; data: string; from: string; group?: string } {
  const m = message as OutboundMessage;
  return { dataType: m.dataType, data: m.data.toString('utf8'), from: m.from, ...(m.group === undefined ? {} : { group: m.group }) };
}

void describe('REST handler (recording hub)', () => {
  const state = new FakeState();
  let server: Server;
  let endpoint: string;
  let client: WebPubSubServiceClient;

  before(async () => {
    const built = buildConfig({ port: 0, host: 'localhost', accessKeys: [KEY, SECONDARY] }, 'test');
    if (!built.ok) throw new Error(built.problems.join('\n'));
    const rest = createRestHandler({ config: built.config, hubs: state, log: silentLogger });
    server = createServer((req, res) => { rest(req, res, new URL(req.url ?? '/', 'http://emulator.invalid')); });
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    endpoint = `http://localhost:${(server.address() as AddressInfo).port}`;
    client = new WebPubSubServiceClient(`Endpoint=${endpoint};AccessKey=${KEY};Version=1.0;`, 'chat', { allowInsecureConnection: true });
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  });
  beforeEach(() => { state.reset(); });

  /** A raw request signed like the SDK does (audience = the full URL). */
  function rawRequest(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null } = {}): Promise<Response> {
    const url = `${endpoint}${path}`;
    const now = Math.floor(Date.now() / 1000);
    const token = init.token === undefined ? signJwt({ aud: url, iat: now, exp: now + 3600 }, KEY) : init.token;
    return fetch(url, {
      method,
      headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...init.headers },
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : new Uint8Array(init.body) }),
    });
  }

  void it('sendToAll: JSON by default, text with contentType, binary for buffers; excluded, filter, ttl', async () => {
    await client.sendToAll({ hello: 'world' });
    assert.deepEqual(text(state.only().args[0]), { dataType: 'json', data: '{"hello":"world"}', from: 'server' });
    state.calls = [];

    await client.sendToAll('hi', { contentType: 'text/plain', excludedConnections: ['a', 'b'], filter: odata`userId eq ${"vic's"}`, messageTtlSeconds: 10 });
    const call = state.only();
    assert.deepEqual(text(call.args[0]), { dataType: 'text', data: 'hi', from: 'server' });
    const options = call.args[1] as SendOptions;
    assert.deepEqual(options.excluded, ['a', 'b']);
    assert.ok(options.filter);
    assert.equal(options.filter({ connectionId: 'x', userId: "vic's", groups: new Set(), protocol: undefined }), true);
    assert.equal(options.filter({ connectionId: 'x', userId: 'vic', groups: new Set(), protocol: undefined }), false);
    state.calls = [];

    await client.sendToAll(new Uint8Array([0, 1, 2, 255]).buffer);
    const binary = state.only().args[0] as OutboundMessage;
    assert.equal(binary.dataType, 'binary');
    assert.deepEqual([...binary.data], [0, 1, 2, 255]);
  });

  void it('sendToUser, sendToConnection and group sendToAll reach the right hub method', async () => {
    await client.sendToUser('user/1 x', 'to-user', { contentType: 'text/plain', filter: "connectionId ne 'c1'" });
    let call = state.only();
    assert.equal(call.method, 'sendToUser');
    assert.equal(call.args[0], 'user%2F1 x', 'an encoded slash stays literal, like the service');
    assert.ok((call.args[2] as SendOptions).filter);
    state.calls = [];

    await client.sendToConnection('conn-1', { n: 1 });
    call = state.only();
    assert.deepEqual([call.method, call.args[0]], ['sendToConnection', 'conn-1']);
    assert.deepEqual(text(call.args[1]), { dataType: 'json', data: '{"n":1}', from: 'server' });
    state.calls = [];

    await client.group('g 1').sendToAll('to-group', { contentType: 'text/plain', excludedConnections: ['c2'] });
    call = state.only();
    assert.deepEqual([call.method, call.args[0]], ['sendToGroup', 'g 1']);
    assert.deepEqual(text(call.args[1]), { dataType: 'text', data: 'to-group', from: 'group', group: 'g 1' });
    assert.deepEqual((call.args[2] as SendOptions).excluded, ['c2']);
  });

  void it('exists checks answer true/false through the SDK, with x-ms-error-code on 404', async () => {
    state.connections.add('c1');
    state.users.add('u1');
    state.groups.add('g1');
    assert.equal(await client.connectionExists('c1'), true);
    assert.equal(await client.connectionExists('c2'), false);
    assert.equal(await client.userExists('u1'), true);
    assert.equal(await client.userExists('u2'), false);
    assert.equal(await client.groupExists('g1'), true);
    assert.equal(await client.groupExists('g2'), false);
    const response = await rawRequest('HEAD', '/api/hubs/chat/users/nobody?api-version=2024-12-01');
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-ms-error-code'), 'Warning.User.NotExisted');
    assert.equal(response.headers.get('api-supported-versions'), '2021-10-01, 2022-11-01, 2023-07-01, 2024-01-01, 2024-12-01');
  });

  void it('closes pass reason and excluded; no reason leaves the hub default', async () => {
    await client.closeConnection('c1', { reason: 'bye' });
    assert.deepEqual(state.only().args, ['c1', 'bye']);
    state.calls = [];
    await client.closeConnection('c1');
    assert.deepEqual(state.only().args, ['c1', undefined]);
    state.calls = [];
    await client.closeAllConnections({ reason: 'all', excluded: ['x', 'y'] } as never);
    assert.deepEqual(state.only().args, [{ excluded: ['x', 'y'], reason: 'all' }]);
    state.calls = [];
    await client.closeUserConnections('u1', { reason: 'user' });
    assert.deepEqual(state.only().args, ['u1', { reason: 'user' }]);
    state.calls = [];
    await client.group('g1').closeAllConnections({ reason: 'group' });
    assert.deepEqual(state.only().args, ['g1', { reason: 'group' }]);
  });

  void it('group membership: 200 adds, 204 removes, 404 for missing connection or user', async () => {
    state.connections.add('c1');
    state.users.add('u1');
    await client.group('g1').addConnection('c1');
    await client.group('g1').addUser('u1');
    await client.group('g1').removeConnection('c1');
    await client.group('g1').removeUser('u1');
    await client.removeConnectionFromAllGroups('c1');
    await client.removeUserFromAllGroups('u1');
    assert.deepEqual(state.calls.map((c) => [c.method, ...c.args]), [
      ['addConnectionToGroup', 'g1', 'c1'],
      ['addUserToGroup', 'g1', 'u1'],
      ['removeConnectionFromGroup', 'g1', 'c1'],
      ['removeUserFromGroup', 'g1', 'u1'],
      ['removeConnectionFromAllGroups', 'c1'],
      ['removeUserFromAllGroups', 'u1'],
    ]);
    await assert.rejects(client.group('g1').addConnection('missing'), (error: any) => error.statusCode === 404 && error.code === 'Error.Connection.NotExisted');
    await assert.rejects(client.group('g1').addUser('missing'), (error: any) => error.statusCode === 404 && error.code === 'Error.User.NotExisted');
  });

  void it('addConnectionsToGroups / removeConnectionsFromGroups: groups and an optional filter', async () => {
    await client.addConnectionsToGroups(['g1', 'g2'], "userId eq 'u1'");
    let call = state.only();
    assert.deepEqual(call.args[0], ['g1', 'g2']);
    assert.equal(typeof call.args[1], 'function');
    state.calls = [];
    await client.removeConnectionsFromGroups(['g1'], '');
    call = state.only();
    assert.deepEqual([call.method, call.args[0], call.args[1]], ['removeConnectionsFromGroups', ['g1'], undefined]);
    state.calls = [];
    const response = await rawRequest('POST', '/api/hubs/chat/:addToGroups', {
      body: '{"groups":["g"],"filter":null,"__proto__":{"polluted":1}}',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(response.status, 200);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    for (const body of ['{"groups":[]}', '{"groups":"g"}', '{"groups":[" "]}', '{"groups":["g"],"filter":1}', '[]', '{"groups":["g"],"filter":"userId lt 1"}']) {
      const bad = await rawRequest('POST', '/api/hubs/chat/:addToGroups', { body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(bad.status, 400, body);
    }
    assert.equal(state.calls.length, 1);
  });

  void it('permissions: grant 200 / 404, revoke 204, check true/false, targetName required', async () => {
    state.connections.add('c1');
    state.permissions.add('c1/sendToGroup/g1');
    await client.grantPermission('c1', 'joinLeaveGroup', { targetName: 'g1' });
    await client.revokePermission('c1', 'sendToGroup', { targetName: 'g1' });
    assert.deepEqual(state.calls.map((c) => [c.method, ...c.args]), [
      ['grantPermission', 'c1', 'joinLeaveGroup', 'g1'],
      ['revokePermission', 'c1', 'sendToGroup', 'g1'],
    ]);
    assert.equal(await client.hasPermission('c1', 'sendToGroup', { targetName: 'g1' }), true);
    assert.equal(await client.hasPermission('c1', 'sendToGroup', { targetName: 'g2' }), false);
    assert.equal(await client.hasPermission('missing', 'sendToGroup', { targetName: 'g1' }), false);
    await assert.rejects(client.grantPermission('missing', 'sendToGroup', { targetName: 'g1' }), (error: any) => error.statusCode === 404);
    await assert.rejects(client.grantPermission('c1', 'sendToGroup'), (error: any) => error.statusCode === 400);
    const wrongPermission = await rawRequest('PUT', '/api/hubs/chat/permissions/admin/connections/c1?targetName=g');
    assert.equal(wrongPermission.status, 400);
    const anyCase = await rawRequest('PUT', '/api/hubs/chat/permissions/SENDTOGROUP/connections/c1?targetName=g');
    assert.equal(anyCase.status, 200);
  });

  void it('listConnections pages with maxpagesize and top, following nextLink', async () => {
    const members = Array.from({ length: 7 }, (_, i) => ({ connectionId: `c${6 - i}`, userId: i % 2 === 0 ? `u${i}` : undefined }));
    state.members.set('room', members);
    const seen: string[] = [];
    const pages: number[] = [];
    for await (const page of (await client.group('room').listConnections({ maxPageSize: 3 })).byPage()) {
      pages.push(page.length);
      seen.push(...page.map((m) => m.connectionId));
    }
    assert.deepEqual(pages, [3, 3, 1]);
    assert.deepEqual(seen, ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);

    const limited: string[] = [];
    for await (const member of await client.group('room').listConnections({ maxPageSize: 2, top: 5 })) limited.push(member.connectionId);
    assert.deepEqual(limited, ['c0', 'c1', 'c2', 'c3', 'c4']);

    const first = (await (await rawRequest('GET', '/api/hubs/chat/groups/room/connections?maxpagesize=2&top=3')).json()) as { value: unknown[]; nextLink: string };
    const next = new URL(first.nextLink);
    assert.equal(next.searchParams.get('api-version'), '2024-12-01');
    assert.equal(next.searchParams.get('maxpagesize'), '2');
    assert.equal(next.searchParams.get('top'), '1');
    const token = next.searchParams.get('continuationToken')!;
    for (const forged of ['', 'garbage', `${token}x`, token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))]) {
      const response = await rawRequest('GET', `/api/hubs/chat/groups/room/connections?continuationToken=${encodeURIComponent(forged)}`);
      assert.equal(response.status, 400, forged);
    }
    const otherGroup = await rawRequest('GET', `/api/hubs/chat/groups/other/connections?continuationToken=${encodeURIComponent(token)}`);
    assert.equal(otherGroup.status, 400);
    const sameHubOtherCase = await rawRequest('GET', `/api/hubs/CHAT/groups/room/connections?continuationToken=${encodeURIComponent(token)}`);
    assert.equal(sameHubOtherCase.status, 200);
    const empty = await client.group('nobody').listConnections();
    assert.deepEqual(await empty.next(), { done: true, value: undefined });
  });

  void it('authentication: either key, lenient audience, 401 with an empty body otherwise', async () => {
    const path = '/api/hubs/chat/connections/c1/:send?api-version=2024-12-01';
    const url = `${endpoint}${path}`;
    const now = Math.floor(Date.now() / 1000);
    const send = (token: string | null, headers: Record<string, string> = {}): Promise<Response> =>
      rawRequest('POST', path, { token, body: 'x', headers: { 'Content-Type': 'text/plain', ...headers } });
    const accepted = [
      signJwt({ aud: url, exp: now + 60 }, SECONDARY),
      signJwt({ aud: url.toUpperCase(), exp: now + 60 }, KEY),
      signJwt({ aud: url.split('?')[0], exp: now + 60 }, KEY),
      signJwt({ aud: encodeURI(url).replace(':send', '%3Asend'), exp: now + 60 }, KEY),
      signJwt({ aud: [url], exp: now - 200 }, KEY),
    ];
    for (const token of accepted) assert.equal((await send(token)).status, 202);
    const refused: Array<[string | null, Record<string, string>?]> = [
      [null],
      [signJwt({ aud: url, exp: now + 60 }, 'wrong-key')],
      [signJwt({ aud: url, exp: now - 400 }, KEY)],
      [signJwt({ aud: url }, KEY)],
      [signJwt({ aud: url.replace('/chat/', '/other/'), exp: now + 60 }, KEY)],
      [signJwt({ aud: url.replace(':send', ':sendX'), exp: now + 60 }, KEY)],
      [signJwt({ aud: url.replace('localhost', 'example.com'), exp: now + 60 }, KEY)],
      [signJwt({ aud: url, exp: now + 60, nbf: now + 600 }, KEY)],
      [null, { Authorization: `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}` }],
      [null, { Authorization: 'Bearer ' }],
      [null, { Authorization: `Bearer ${'a'.repeat(15_000)}` }],
      [`${signJwt({ aud: url, exp: now + 60 }, KEY).split('.').slice(0, 2).join('.')}.`],
      [`eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.${Buffer.from(JSON.stringify({ aud: url, exp: now + 60 })).toString('base64url')}.`],
    ];
    for (const [token, headers] of refused) {
      const response = await send(token ?? null, headers);
      assert.equal(response.status, 401, token ?? JSON.stringify(headers));
      assert.equal(await response.text(), '');
    }
    assert.equal(state.calls.length, accepted.length);
  });

  void it('an Entra ID token gets a 401 unless the development-only mode is on', async () => {
    const now = Math.floor(Date.now() / 1000);
    const entra = signJwt({ aud: 'https://webpubsub.azure.com', exp: now + 60 }, 'not-our-key');
    const response = await rawRequest('HEAD', '/api/hubs/chat/connections/c1', { token: entra });
    assert.equal(response.status, 401);
    assert.equal(await response.text(), '');
  });

  void it('validation: api-version, ttl, path values, content types, JSON, size', async () => {
    const cases: Array<[string, string, number, string?, Record<string, string>?]> = [
      ['POST', '/api/hubs/chat/:send?api-version=2099-01-01', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send?api-version=2024-12-01&api-version=2024-12-01', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send?api-version=2021-10-01', 202, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send', 202, 'x', { 'Content-Type': 'text/plain; charset=iso-8859-1' }],
      ['POST', '/api/hubs/chat/:send?messageTtlSeconds=301', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send?messageTtlSeconds=-1', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send?messageTtlSeconds=1.5', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send?messageTtlSeconds=0', 202, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send?messageTtlSeconds=300', 202, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/1chat/:send', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', `/api/hubs/${'h'.repeat(129)}/:send`, 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/groups/%20/:send', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', `/api/hubs/chat/groups/${'g'.repeat(1025)}/:send`, 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/users//:send', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/users/%E0%A4%A/:send', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['POST', '/api/hubs/chat/:send', 415, '<x/>', { 'Content-Type': 'application/xml' }],
      ['POST', '/api/hubs/chat/:send', 415, undefined, { 'Content-Length': '0' }],
      ['POST', '/api/hubs/chat/:send', 400, '{', { 'Content-Type': 'application/json' }],
      ['POST', '/api/hubs/chat/:send', 202, '"hi"', { 'Content-Type': 'Application/JSON; charset=utf-8' }],
      ['POST', '/api/hubs/chat/:send?filter=userId%20lt%201', 400, 'x', { 'Content-Type': 'text/plain' }],
      ['GET', '/api/hubs/chat/groups/g/connections?maxpagesize=201', 400],
      ['GET', '/api/hubs/chat/groups/g/connections?maxpagesize=0', 400],
      ['GET', '/api/hubs/chat/groups/g/connections?top=0', 400],
      ['GET', '/api/hubs/chat/groups/g/connections?top=1&top=2', 400],
      ['POST', '/api/hubs/chat/:generateToken?minutesToExpire=0', 400],
      ['POST', '/api/hubs/chat/:generateToken?clientType=socketio', 400],
      ['POST', '/api/hubs/chat/:generateToken?group=%20', 400],
    ];
    for (const [method, path, status, body, headers] of cases) {
      const response = await rawRequest(method, path, { ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
      assert.equal(response.status, status, `${method} ${path}`);
      if (status >= 400) {
        const error = (await response.json()) as { code: string; message: string };
        assert.equal(response.headers.get('x-ms-error-code'), error.code);
        assert.ok(error.message.length > 0);
      }
    }
  });

  void it('the invalid-filter answer is the service body', async () => {
    const response = await rawRequest('POST', '/api/hubs/chat/:send?filter=userId%20lt%201', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      code: 'Error.BadRequest',
      message: "Invalid syntax for 'userId lt 1': Type 'string', expect 'int'. (Parameter 'filter')",
      target: 'Request',
    });
    assert.equal(state.calls.length, 0);
  });

  void it('X-WebPubSub-Metadata-* headers become message metadata, bounded and pollution-free', async () => {
    const response = await rawRequest('POST', '/api/hubs/chat/connections/c1/:send', {
      body: 'with metadata',
      headers: { 'Content-Type': 'text/plain', 'X-WebPubSub-Metadata-Trace': 'abc', 'x-webpubsub-metadata-__proto__': 'inert' },
    });
    assert.equal(response.status, 202);
    const metadata = (state.only().args[1] as OutboundMessage).metadata!;
    assert.equal(Object.getPrototypeOf(metadata), null);
    assert.deepEqual({ ...metadata }, { trace: 'abc', ['__proto__']: 'inert' });
    assert.equal(({} as Record<string, unknown>).inert, undefined);
    state.calls = [];
    const tooLong = await rawRequest('POST', '/api/hubs/chat/connections/c1/:send', {
      body: 'x',
      headers: { 'Content-Type': 'text/plain', [`X-WebPubSub-Metadata-${'k'.repeat(257)}`]: 'v' },
    });
    assert.equal(tooLong.status, 400);
    const tooBig = await rawRequest('POST', '/api/hubs/chat/connections/c1/:send', {
      body: 'x',
      headers: { 'Content-Type': 'text/plain', ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`X-WebPubSub-Metadata-k${i}`, 'v'.repeat(1000)])) },
    });
    assert.equal(tooBig.status, 400);
    assert.equal(state.calls.length, 0);
  });

  void it('413 beyond the body limit, without buffering it', async () => {
    const big = Buffer.alloc(1024 * 1024 + 16 * 1024 + 1, 0x61);
    const response = await rawRequest('POST', '/api/hubs/chat/:send', { body: big, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(response.status, 413);
    const atLimit = await rawRequest('POST', '/api/hubs/chat/:send', { body: Buffer.alloc(1024 * 1024, 0x61), headers: { 'Content-Type': 'text/plain' } });
    assert.equal(atLimit.status, 202);
  });

  void it('unknown routes 404, known paths with another method 405', async () => {
    const unknown = await rawRequest('POST', '/api/hubs/chat/:sendX');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, 'Error.NotFound');
    assert.equal((await rawRequest('GET', '/api/nothing', { token: null })).status, 404);
    const wrongMethod = await rawRequest('GET', '/api/hubs/chat/:send');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
  });

  void it('generateToken mints the client token shape with the primary key', async () => {
    const response = await rawRequest('POST', '/api/hubs/Chat/:generateToken?userId=u1&role=webpubsub.joinLeaveGroup&role=webpubsub.sendToGroup.g1&group=g1&minutesToExpire=30');
    assert.equal(response.status, 200);
    const { token } = (await response.json()) as { token: string };
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(Object.keys(payload), ['role', 'webpubsub.group', 'iat', 'exp', 'aud', 'sub']);
    assert.deepEqual(payload.role, ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup.g1']);
    assert.deepEqual(payload['webpubsub.group'], ['g1']);
    assert.equal(payload.exp - payload.iat, 1800);
    assert.equal(payload.aud, `${endpoint}/client/hubs/Chat`);
    assert.equal(payload.sub, 'u1');

    const mqtt = await rawRequest('POST', '/api/hubs/chat/:generateToken?clientType=mqtt');
    const mqttPayload = JSON.parse(Buffer.from(((await mqtt.json()) as { token: string }).token.split('.')[1]!, 'base64url').toString('utf8'));
    assert.deepEqual(Object.keys(mqttPayload), ['iat', 'exp', 'aud']);
    assert.equal(mqttPayload.exp - mqttPayload.iat, 3600);
    assert.equal(mqttPayload.aud, `${endpoint}/clients/mqtt/hubs/chat`);
  });
});
