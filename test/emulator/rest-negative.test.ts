/**
 * REST refusals against a running emulator: every refused request is answered with the right
 * status and body, and the message it carried never reaches a client (proved with a barrier,
 * not a sleep). The emulator stays healthy throughout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { nowSeconds, writeToken } from '../helpers/clientTokens.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { assertNotReceived, closeAll, connect, message, rest, serviceClient, type Connected } from './rest-fixtures.js';

const PRIMARY = 'primary-key-for-rest-tests-0123456789ABCDEF';
const SECONDARY = 'secondary-key-for-rest-tests-0123456789ABCD';
const HUB = 'negatives';

void describe('REST API refusals', () => {
  let emulator: StartedEmulator;
  let service: WebPubSubServiceClient;
  let clients: Connected[];

  before(async () => {
    emulator = await startEmulator({ accessKeys: [PRIMARY, SECONDARY] });
    service = serviceClient(emulator, HUB);
    clients = [await connect(service, { userId: 'victim', groups: ['room'] }), await connect(service, { userId: 'other' })];
  });
  after(async () => {
    await closeAll(clients);
    await emulator.close();
  });

  async function assertHealthy(): Promise<void> {
    assert.equal((await fetch(`${emulator.endpoint}/api/health`, { method: 'HEAD' })).status, 200);
  }

  void it('401 with an empty body for missing, Basic, wrong-key, expired, no-exp and wrong-audience tokens', async () => {
    const path = `/api/hubs/${HUB}/:send?api-version=2024-12-01`;
    const url = `${emulator.endpoint}${path}`;
    const now = nowSeconds();
    const token = (payload: Record<string, unknown>, key = PRIMARY): string => writeToken({ key, payload });
    const refusals: Array<[string, { token: string | null; headers?: Record<string, string> }]> = [
      ['no Authorization', { token: null }],
      ['Basic', { token: null, headers: { Authorization: `Basic ${Buffer.from(`user:${PRIMARY}`).toString('base64')}` } }],
      ['wrong key', { token: token({ aud: url, exp: now + 60 }, 'some-other-key-that-is-long-enough-000000') }],
      ['expired beyond the skew', { token: token({ aud: url, exp: now - 301 }) }],
      ['no exp', { token: token({ aud: url, iat: now }) }],
      ['other hub', { token: token({ aud: url.replace(`/${HUB}/`, '/elsewhere/'), exp: now + 60 }) }],
      ['other operation', { token: token({ aud: url.replace(':send', ':sendX'), exp: now + 60 }) }],
      ['client audience', { token: token({ aud: `${emulator.endpoint}/client/hubs/${HUB}`, exp: now + 60 }) }],
      ['alg none', { token: writeToken({ alg: 'none', key: PRIMARY, payload: { aud: url, exp: now + 60 } }) }],
      ['HS512 header', { token: writeToken({ alg: 'HS512', key: PRIMARY, payload: { aud: url, exp: now + 60 } }) }],
    ];
    for (const [what, { token: bearer, headers }] of refusals) {
      const forbidden = `must-not-send (${what})`;
      const response = await rest(emulator, 'POST', path, { token: bearer, body: forbidden, headers: { 'Content-Type': 'text/plain', ...headers } });
      assert.equal(response.status, 401, what);
      assert.equal(await response.text(), '', what);
      await assertNotReceived(service, clients, forbidden);
    }
    await assertHealthy();
  });

  void it('accepts either key, an audience without the query, in any case, within the clock skew', async () => {
    const path = `/api/hubs/${HUB}/users/victim/:send?api-version=2024-12-01`;
    const url = `${emulator.endpoint}${path}`;
    const now = nowSeconds();
    const accepted: Array<[string, string]> = [
      ['secondary key', writeToken({ key: SECONDARY, payload: { aud: url, exp: now + 60 } })],
      ['no query in aud', writeToken({ key: PRIMARY, payload: { aud: url.split('?')[0], exp: now + 60 } })],
      ['upper case aud', writeToken({ key: PRIMARY, payload: { aud: url.toUpperCase(), exp: now + 60 } })],
      ['expired 299 s ago', writeToken({ key: PRIMARY, payload: { aud: url, exp: now - 299 } })],
    ];
    for (const [what, token] of accepted) {
      const response = await rest(emulator, 'POST', path, { token, body: what, headers: { 'Content-Type': 'text/plain' } });
      assert.equal(response.status, 202, what);
      await message(clients[0]!.client, what);
    }
    const secondary = new WebPubSubServiceClient(`Endpoint=${emulator.endpoint};AccessKey=${SECONDARY};Version=1.0;`, HUB, { allowInsecureConnection: true });
    await secondary.sendToUser('victim', 'via the secondary key', { contentType: 'text/plain' });
    await message(clients[0]!.client, 'via the secondary key');
  });

  void it('an invalid filter is a 400 with the service body, surfaced by the SDK, and nothing is sent', async () => {
    await assert.rejects(service.sendToAll('filtered-out', { contentType: 'text/plain', filter: 'userId lt 1' }), (error: any) => {
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, 'Error.BadRequest');
      assert.equal(error.message, "Invalid syntax for 'userId lt 1': Type 'string', expect 'int'. (Parameter 'filter')");
      return true;
    });
    const response = await rest(emulator, 'POST', `/api/hubs/${HUB}/groups/room/:send?filter=${encodeURIComponent('invalid(ab,c)')}`, {
      body: 'filtered-out-2',
      headers: { 'Content-Type': 'text/plain' },
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-ms-error-code'), 'Error.BadRequest');
    assert.deepEqual(await response.json(), {
      code: 'Error.BadRequest',
      message: "Invalid syntax for 'invalid(ab,c)': Token 'invalid(ab,c)' is not supported. (Parameter 'filter')",
      target: 'Request',
    });
    const deep = await rest(emulator, 'POST', `/api/hubs/${HUB}/:send?filter=${'('.repeat(5000)}`, { body: 'filtered-out-3', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(deep.status, 400);
    await assertNotReceived(service, clients, 'filtered-out');
    await assertNotReceived(service, clients, 'filtered-out-2');
    await assertNotReceived(service, clients, 'filtered-out-3');
    await assertHealthy();
  });

  void it('messageTtlSeconds outside 0-300 is a 400 and nothing is sent', async () => {
    for (const ttl of ['-1', '301', '1.5', 'soon', '']) {
      const response = await rest(emulator, 'POST', `/api/hubs/${HUB}/:send?messageTtlSeconds=${ttl}`, { body: `ttl ${ttl}`, headers: { 'Content-Type': 'text/plain' } });
      assert.equal(response.status, 400, ttl);
      assert.equal(((await response.json()) as { code: string }).code, 'Error.BadRequest');
      await assertNotReceived(service, clients, `ttl ${ttl}`);
    }
    await assert.rejects(service.sendToAll('ttl via sdk', { contentType: 'text/plain', messageTtlSeconds: 301 }));
  });

  void it('415 for other content types, 400 for invalid JSON, 413 beyond the size limit', async () => {
    const unsupported = await rest(emulator, 'POST', `/api/hubs/${HUB}/:send`, { body: '<xml/>', headers: { 'Content-Type': 'application/xml' } });
    assert.equal(unsupported.status, 415);
    assert.equal(unsupported.headers.get('x-ms-error-code'), 'Error.UnsupportedMediaType');
    const invalidJson = await rest(emulator, 'POST', `/api/hubs/${HUB}/:send`, { body: '{"not json"', headers: { 'Content-Type': 'application/json' } });
    assert.equal(invalidJson.status, 400);
    assert.deepEqual(await invalidJson.json(), { code: 'Error.BadRequest', message: 'The request body is not a valid JSON.', target: 'Request' });
    const tooLarge = await rest(emulator, 'POST', `/api/hubs/${HUB}/:send`, {
      body: new Uint8Array(2 * 1024 * 1024),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(tooLarge.status, 413);
    await assertNotReceived(service, clients, { not: 'json' });
    await assertHealthy();
  });

  void it('unknown routes are 404 JSON errors, other methods on known paths 405', async () => {
    for (const [method, path] of [
      ['POST', `/api/hubs/${HUB}/:broadcast`],
      ['GET', '/api/hubs'],
      ['GET', `/api/hubs/${HUB}/users/victim/connections`],
      ['DELETE', '/api/other'],
    ] as const) {
      const response = await rest(emulator, method, path);
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(((await response.json()) as { code: string }).code, 'Error.NotFound');
    }
    const wrongMethod = await rest(emulator, 'GET', `/api/hubs/${HUB}/:send`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
  });

  void it('keeps %2F in path segments literal, like the service: a user id with "/" is not addressable', async () => {
    const slashed = await connect(service, { userId: 'tenant/alice' });
    clients.push(slashed);
    assert.equal(await service.userExists('tenant/alice'), false);
    await service.sendToUser('tenant/alice', 'slash user', { contentType: 'text/plain' });
    await assertNotReceived(service, [slashed], 'slash user');

    // The SDK sends `tenant%2Falice`, which names the user whose id is literally that.
    const literal = await connect(service, { userId: 'tenant%2Falice' });
    clients.push(literal);
    assert.equal(await service.userExists('tenant/alice'), true);
    await service.sendToUser('tenant/alice', 'literal user', { contentType: 'text/plain' });
    await message(literal.client, 'literal user');
    await assertNotReceived(service, [slashed], 'literal user');
    assert.equal(await service.connectionExists(slashed.connectionId), true);
  });

  void it('hostile path and query values are 400s, never crashes', async () => {
    const now = nowSeconds();
    for (const path of [
      `/api/hubs/${HUB}/users/%E0%A4%A/:send`,
      `/api/hubs/${HUB}/groups/${'g'.repeat(1025)}/:send`,
      `/api/hubs/${HUB}/groups/%20%09/:send`,
      `/api/hubs/1${HUB}/:send`,
      `/api/hubs/${HUB}/:send?__proto__=x&constructor[prototype][polluted]=1&api-version=2024-12-01&api-version=2023-07-01`,
      `/api/hubs/${HUB}/groups/room/connections?continuationToken=${encodeURIComponent('{"__proto__":1}')}`,
    ]) {
      const token = writeToken({ key: PRIMARY, payload: { aud: `${emulator.endpoint}${path}`, exp: now + 60 } });
      const response = path.includes('/connections?')
        ? await rest(emulator, 'GET', path, { token })
        : await rest(emulator, 'POST', path, { token, body: 'hostile', headers: { 'Content-Type': 'text/plain' } });
      assert.equal(response.status, 400, path);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await assertNotReceived(service, clients, 'hostile');
    await assertHealthy();
  });
});
