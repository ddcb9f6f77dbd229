import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { audienceMatches, checkClientToken } from '../../../emulator/auth/clientToken.js';
import { clientToken, nowSeconds } from '../../helpers/clientTokens.js';

const KEY = 'k'.repeat(40);
const HOST = 'localhost:8080';

void describe('client token audience', () => {
  const accepted = [
    'http://localhost:8080/client/hubs/chat',
    'https://localhost:8080/client/hubs/chat',
    'ws://localhost:8080/client/hubs/chat',
    'wss://LOCALHOST:8080/client/hubs/CHAT',
    'http://localhost:8080/client/hubs/chat/',
    'http%3A%2F%2Flocalhost%3A8080%2Fclient%2Fhubs%2Fchat',
  ];
  for (const aud of accepted) void it(`accepts ${aud}`, () => { assert.equal(audienceMatches(aud, HOST, 'chat'), true); });

  const refused = [
    'ftp://localhost:8080/client/hubs/chat',
    'http://localhost:8081/client/hubs/chat',
    'http://localhost:8080/client/hubs/chatX',
    'http://localhost:8080/client/hubs/chat?x=1',
    'http://localhost:8080/client/hubs/chat%252F',
    'http://localhost:8080/api/hubs/chat',
    'localhost:8080/client/hubs/chat',
    '',
  ];
  for (const aud of refused) void it(`refuses ${JSON.stringify(aud)}`, () => { assert.equal(audienceMatches(aud, HOST, 'chat'), false); });

  void it('matches hubs whose names need encoding, either way', () => {
    assert.equal(audienceMatches('http://localhost:8080/client/hubs/a[1]', HOST, 'a[1]'), true);
    assert.equal(audienceMatches('http://localhost:8080/client/hubs/a%5B1%5D', HOST, 'a[1]'), true);
  });

  void it('accepts a list audience when one entry matches, and nothing of another type', () => {
    assert.equal(audienceMatches(['x', 'http://localhost:8080/client/hubs/chat'], HOST, 'chat'), true);
    assert.equal(audienceMatches(42, HOST, 'chat'), false);
    assert.equal(audienceMatches(undefined, HOST, 'chat'), false);
  });
});

void describe('client token claims', () => {
  const check = (claims: Record<string, unknown>) =>
    checkClientToken(clientToken('http://localhost:8080', 'chat', KEY, claims), { keys: [KEY], host: HOST, hub: 'chat' });

  void it('reads user, roles and groups as strings or lists', () => {
    const result = check({ sub: 'u1', role: 'webpubsub.joinLeaveGroup', 'webpubsub.group': ['g1', 'g2'] });
    assert.ok(result.ok);
    assert.deepEqual([result.identity.userId, result.identity.roles, result.identity.groups], ['u1', ['webpubsub.joinLeaveGroup'], ['g1', 'g2']]);
    assert.deepEqual(result.identity.claims.sub, ['u1']);
  });

  void it('takes a numeric sub as text and refuses other types', () => {
    const numeric = check({ sub: 123 });
    assert.ok(numeric.ok && numeric.identity.userId === '123');
    assert.deepEqual(check({ sub: { id: 1 } }), { ok: false, status: 401, reason: "The token's 'sub' claim is not a string." });
  });

  void it('keeps claims in a null-prototype map', () => {
    const result = checkClientToken(clientToken('http://localhost:8080', 'chat', KEY, JSON.parse('{"__proto__":{"x":1}}')), { keys: [KEY], host: HOST, hub: 'chat' });
    assert.ok(result.ok);
    assert.equal(Object.getPrototypeOf(result.identity.claims), null);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  void it('refuses an expired token and accepts one within the skew', () => {
    assert.equal(check({ exp: nowSeconds() - 301 }).ok, false);
    assert.equal(check({ exp: nowSeconds() - 290 }).ok, true);
  });
});
