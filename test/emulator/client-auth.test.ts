import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { clientToken, nowSeconds, writeToken } from '../helpers/clientTokens.js';
import { HandshakeRefused, openRawClient, upgradeStatus } from '../helpers/rawClient.js';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';
const PRIMARY = 'primary-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const SECONDARY = 'secondary-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const OTHER_KEY = 'unknown-key-0123456789-abcdefghijklmnopqrstuvwxyz';

void describe('client endpoint: access tokens', () => {
  let emulator: StartedEmulator;
  let hubUrl: string;
  const aud = (): string => `${emulator.endpoint}/client/hubs/chat`;

  before(async () => {
    emulator = await startEmulator({ accessKeys: [PRIMARY, SECONDARY] });
    hubUrl = `ws://localhost:${emulator.port}/client/hubs/chat`;
  });
  after(() => emulator.close());

  const statusWith = (token: string): Promise<number> => upgradeStatus(`${hubUrl}?access_token=${encodeURIComponent(token)}`);

  void it('accepts a token from WebPubSubServiceClient.getClientAccessToken and reports the user', async () => {
    const service = new WebPubSubServiceClient(emulator.connectionString, 'chat', { allowInsecureConnection: true });
    const { url } = await service.getClientAccessToken({ userId: 'alice', groups: ['lobby'] });
    const client = await openRawClient(url, { protocols: JSON_PROTOCOL });
    const connected = await client.next((frame) => frame.event === 'connected');
    assert.equal(connected.userId, 'alice');
    assert.equal(typeof connected.connectionId, 'string');
    assert.equal(connected.reconnectionToken, undefined);
    assert.ok(emulator.hubs.get('chat').groupExists('lobby'));
    assert.deepEqual(emulator.hubs.get('CHAT').listGroupMembers('lobby').map((member) => member.userId), ['alice']);
    await client.close();
  });

  void it('accepts tokens signed with the secondary key', async () => {
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', SECONDARY, { sub: 'b' })), 101);
  });

  void it('accepts the token from an Authorization: Bearer header', async () => {
    assert.equal(await upgradeStatus(hubUrl, { Authorization: `Bearer ${clientToken(emulator.endpoint, 'chat', PRIMARY)}` }), 101);
  });

  void it('compares the audience case-insensitively and accepts ws:// and a trailing slash', async () => {
    for (const audience of [aud().toUpperCase(), aud().replace('http://', 'ws://'), `${aud()}/`, `http://LOCALHOST:${emulator.port}/client/hubs/CHAT`]) {
      assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY, { aud: audience })), 101, audience);
    }
  });

  void it('accepts an expiry up to 5 minutes in the past (clock skew)', async () => {
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY, { exp: nowSeconds() - 290 })), 101);
  });

  const forged: [string, () => string][] = [
    ['no token', () => ''],
    ['an unknown key', () => clientToken(emulator.endpoint, 'chat', OTHER_KEY)],
    ['an expired token', () => clientToken(emulator.endpoint, 'chat', PRIMARY, { exp: nowSeconds() - 310 })],
    ['a token not valid yet', () => clientToken(emulator.endpoint, 'chat', PRIMARY, { nbf: nowSeconds() + 400 })],
    ['a token without exp', () => writeToken({ key: PRIMARY, payload: { aud: aud() } })],
    ['alg none', () => writeToken({ alg: 'none', key: PRIMARY, payload: { aud: aud(), exp: nowSeconds() + 60 } })],
    ['alg HS512', () => writeToken({ alg: 'HS512', key: PRIMARY, payload: { aud: aud(), exp: nowSeconds() + 60 } })],
    ['another hub', () => clientToken(emulator.endpoint, 'admin', PRIMARY)],
    ['a hub name prefix', () => clientToken(emulator.endpoint, 'chatX', PRIMARY)],
    ['another host', () => clientToken('http://example.com', 'chat', PRIMARY)],
    ['another port', () => clientToken(`http://localhost:${emulator.port + 1}`, 'chat', PRIMARY)],
    ['an ftp audience', () => clientToken(emulator.endpoint.replace('http', 'ftp'), 'chat', PRIMARY)],
    ['a REST audience', () => writeToken({ key: PRIMARY, payload: { aud: `${emulator.endpoint}/api/hubs/chat`, exp: nowSeconds() + 60 } })],
    ['12 KB of junk', () => `${'x'.repeat(6_000)}.${'y'.repeat(6_000)}.z`],
    ['a token with a line break', () => clientToken(emulator.endpoint, 'chat', PRIMARY).replace('.', '.\n')],
    ['a role claim of the wrong type', () => clientToken(emulator.endpoint, 'chat', PRIMARY, { role: 42 })],
    ['not a JWT', () => 'hello'],
  ];
  for (const [name, token] of forged) {
    void it(`refuses ${name} with 401 before the upgrade`, async () => {
      assert.equal(await statusWith(token()), 401);
    });
  }

  void it('answers a token too big for an HTTP header with 431 and stays healthy', async () => {
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY, { pad: 'x'.repeat(20_000) })), 431);
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY)), 101);
  });

  void it('refuses groups in the token that are blank or longer than 1024 characters with 400', async () => {
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY, { 'webpubsub.group': [' '] })), 400);
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY, { 'webpubsub.group': ['x'.repeat(1025)] })), 400);
  });

  void it('refuses a user id that cannot travel in an HTTP header with 400, and accepts non-ASCII ones', async () => {
    assert.equal(await statusWith(clientToken(emulator.endpoint, 'chat', PRIMARY, { sub: 'a\r\nce-userId: admin' })), 400);
    const client = await openRawClient(`${hubUrl}?access_token=${clientToken(emulator.endpoint, 'chat', PRIMARY, { sub: '用户' })}`, { protocols: JSON_PROTOCOL });
    assert.equal((await client.next((frame) => frame.event === 'connected')).userId, '用户');
    await client.close();
  });

  void it('takes string roles and groups as well as lists, and ignores __proto__ claims', async () => {
    const token = clientToken(emulator.endpoint, 'chat', PRIMARY, JSON.parse('{"sub":"p","role":"webpubsub.joinLeaveGroup","webpubsub.group":"solo","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}'));
    const client = await openRawClient(`${hubUrl}?access_token=${token}`, { protocols: JSON_PROTOCOL });
    const { connectionId } = await client.next((frame) => frame.event === 'connected');
    assert.ok(emulator.hubs.get('chat').hasPermission(connectionId, 'joinLeaveGroup', 'any'));
    assert.ok(emulator.hubs.get('chat').listGroupMembers('solo').some((member) => member.connectionId === connectionId));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await client.close();
  });

  void it('answers 400 for an invalid hub name and 401 for a missing token on /client?hub=', async () => {
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client/hubs/1chat`), 400);
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client/hubs/ch%ZZat`), 400);
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client/hubs/`), 400);
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client`), 400);
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client?hub=chat`), 401);
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client?hub=chat&access_token=${clientToken(emulator.endpoint, 'chat', PRIMARY)}`), 101);
  });

  void it('reports a refused handshake to the ws client as an unexpected response', async () => {
    await assert.rejects(openRawClient(hubUrl), (error: unknown) => error instanceof HandshakeRefused && error.status === 401);
  });
});

void describe('client endpoint: anonymous connect policy', () => {
  let emulator: StartedEmulator;
  before(async () => {
    emulator = await startEmulator({ hubs: { open: { anonymousConnectPolicy: 'allow' } } });
  });
  after(() => emulator.close());

  void it('lets clients without a token into a hub that allows it, with no user and no roles', async () => {
    const client = await openRawClient(`ws://localhost:${emulator.port}/client/hubs/Open?id=guest`, { protocols: JSON_PROTOCOL });
    const connected = await client.next((frame) => frame.event === 'connected');
    assert.equal(connected.userId, null);
    client.send({ type: 'joinGroup', group: 'g', ackId: 1 });
    const ack = await client.next((frame) => frame.type === 'ack');
    assert.equal(ack.error?.name, 'Forbidden');
    await client.close();
  });

  void it('still refuses a bad token in a hub that allows anonymous clients', async () => {
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client/hubs/open?access_token=bad`), 401);
  });

  void it('refuses clients without a token elsewhere (deny is the default)', async () => {
    assert.equal(await upgradeStatus(`ws://localhost:${emulator.port}/client/hubs/closed`), 401);
  });
});
