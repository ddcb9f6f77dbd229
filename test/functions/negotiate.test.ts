import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { negotiate, TOKEN_LIFETIME_MINUTES, type NegotiateDependencies } from '../../src/functions/negotiate.js';
import { createChatHub } from '../../src/webpubsub/chatHub.js';
import { createServiceClient } from '../../src/webpubsub/serviceClient.js';
import { TEST_ACCESS_KEY } from '../helpers/cloudEvents.js';
import { createContext, decodeJwt, headerOf, HttpRequest, responseJson } from '../helpers/functions.js';

const ENV = { WebPubSubConnectionString: `Endpoint=http://localhost:8080;AccessKey=${TEST_ACCESS_KEY};Version=1.0;` };

/** The real SDK client: with a connection string it signs tokens locally, no service needed. */
function dependencies(env: Record<string, string> = ENV): NegotiateDependencies {
  const config = loadConfig(env);
  return { config, chatHub: createChatHub(createServiceClient(config.webPubSub, config.hub)) };
}

function get(query: string, headers: Record<string, string> = {}): InstanceType<typeof HttpRequest> {
  return new HttpRequest({ method: 'GET', url: `http://localhost:7071/negotiate${query}`, headers });
}

void describe('negotiate', () => {
  void it('returns the tutorial url plus what the client SDK needs, for that user', async () => {
    const { context } = createContext('negotiate');
    const response = await negotiate(get('?id=alice'), context, dependencies());
    assert.equal(response.status, 200);
    assert.equal(headerOf(response, 'cache-control'), 'no-store');
    const body = await responseJson(response);
    assert.deepEqual(Object.keys(body).sort(), ['baseUrl', 'hub', 'token', 'url', 'userId']);
    assert.equal(body.baseUrl, 'ws://localhost:8080/client/hubs/Sample_ChatApp');
    assert.equal(body.url, `${body.baseUrl}?access_token=${body.token}`);
    assert.equal(body.hub, 'Sample_ChatApp');
    assert.equal(body.userId, 'alice');
  });

  void it('mints a short-lived token for exactly that user, with no roles', async () => {
    const { context } = createContext('negotiate');
    const body = await responseJson(await negotiate(get('?id=%20Zo%C3%AB%20'), context, dependencies()));
    const claims = decodeJwt(body.token);
    assert.equal(claims.sub, 'Zoë');
    assert.equal(claims.aud, 'http://localhost:8080/client/hubs/Sample_ChatApp');
    assert.ok(typeof claims.exp === 'number' && typeof claims.iat === 'number');
    assert.ok(claims.exp - claims.iat <= TOKEN_LIFETIME_MINUTES * 60);
    assert.ok(TOKEN_LIFETIME_MINUTES <= 60);
    assert.equal(claims.role, undefined);
    assert.equal(claims['webpubsub.group'], undefined);
  });

  void it('answers 400 with a message for a missing or invalid name', async () => {
    for (const [query, code] of [
      ['', 'name-missing'],
      ['?id=', 'name-missing'],
      ['?userId=alice', 'name-missing'],
      ['?id=system', 'name-reserved'],
      ['?id=%3Cscript%3E', 'name-invalid-characters'],
      [`?id=${'a'.repeat(33)}`, 'name-too-long'],
    ] as const) {
      const { context } = createContext('negotiate');
      const response = await negotiate(get(query), context, dependencies());
      assert.equal(response.status, 400, query);
      const body = await responseJson(response);
      assert.equal(body.error.code, code, query);
      assert.equal(typeof body.error.message, 'string');
    }
  });

  void it('never trusts principal headers unless the platform set them', async () => {
    const { context } = createContext('negotiate');
    const forged = {
      'x-ms-client-principal': Buffer.from(JSON.stringify({ identityProvider: 'aad', userId: 'admin', userRoles: ['admin'] })).toString('base64'),
      'x-ms-client-principal-name': 'admin',
      'x-ms-client-principal-id': 'admin',
    };
    const body = await responseJson(await negotiate(get('?id=mallory', forged), context, dependencies()));
    assert.equal(decodeJwt(body.token).sub, 'mallory');
    const noName = await negotiate(get('', forged), context, dependencies());
    assert.equal(noName.status, 400);
  });

  void it('takes the user from the principal headers when App Service Authentication is on', async () => {
    const deps = dependencies({ ...ENV, WEBSITE_AUTH_ENABLED: 'True' });
    const { context } = createContext('negotiate');
    const body = await responseJson(await negotiate(get('?id=someone-else', { 'x-ms-client-principal-name': 'alice@contoso.com', 'x-ms-client-principal-id': 'f00' }), context, deps));
    assert.equal(decodeJwt(body.token).sub, 'alice@contoso.com');
    const anonymous = await negotiate(get('?id=bob'), context, deps);
    assert.equal(anonymous.status, 401);
  });
});
