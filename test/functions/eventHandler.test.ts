import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatPayload } from '../../src/chat/payloads.js';
import { loadConfig, type ChatConfig } from '../../src/config.js';
import { handleEvent, MAX_EVENT_BODY_BYTES, type EventHandlerDependencies } from '../../src/functions/eventHandler.js';
import { createReplayGuard } from '../../src/webhook/replayGuard.js';
import { cloudEventRequest, preflightRequest, sign, TEST_ACCESS_KEY, type CloudEventOptions } from '../helpers/cloudEvents.js';
import { createContext, headerOf, HttpRequest, responseJson, responseText } from '../helpers/functions.js';

const OTHER_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ZYXWVU';
const WEBHOOK_KEY = 'shared-secret-for-tests-0123';
const LOCAL_ENV = { WebPubSubConnectionString: `Endpoint=http://localhost:8080;AccessKey=${TEST_ACCESS_KEY};Version=1.0;` };
const KEYLESS_ENV = { WEBPUBSUB_ENDPOINT: 'https://localhost', WEBPUBSUB_WEBHOOK_KEY: WEBHOOK_KEY };

interface Harness {
  deps: EventHandlerDependencies;
  sent: ChatPayload[];
  failSends: boolean;
  send(options: CloudEventOptions | InstanceType<typeof HttpRequest>): ReturnType<typeof handleEvent>;
  logs: ReturnType<typeof createContext>['logs'];
}

function harness(env: Record<string, string> = LOCAL_ENV): Harness {
  const config: ChatConfig = loadConfig(env);
  let counter = 0;
  const h: Harness = {
    sent: [],
    failSends: false,
    logs: [],
    deps: {
      config,
      chatHub: {
        sendToAll: (payload) => {
          if (h.failSends) return Promise.reject(new Error('service unavailable'));
          h.sent.push(payload);
          return Promise.resolve();
        },
      },
      replayGuard: createReplayGuard(),
      stamp: () => ({ id: `id-${++counter}`, time: '2024-01-01T00:00:00.000Z' }),
    },
    send(options) {
      const { context, logs } = createContext('eventhandler');
      h.logs = logs;
      const request = options instanceof HttpRequest ? options : cloudEventRequest(options);
      return handleEvent(request, context, h.deps);
    },
  };
  return h;
}

const connectBody = (claims: object, query: object): object => ({ claims, query, headers: {}, subprotocols: [], clientCertificates: [] });

void describe('eventhandler: abuse protection (OPTIONS)', () => {
  void it('names only the allowed origin, never *', async () => {
    const h = harness();
    const { context } = createContext();
    const response = await handleEvent(preflightRequest('localhost'), context, h.deps);
    assert.equal(response.status, 200);
    assert.equal(headerOf(response, 'WebHook-Allowed-Origin'), 'localhost');
    const withPort = await handleEvent(preflightRequest('localhost:8080'), context, h.deps);
    assert.equal(headerOf(withPort, 'WebHook-Allowed-Origin'), 'localhost:8080');
  });

  void it('answers 400 to foreign, missing and multiple origins', async () => {
    const h = harness();
    for (const origin of ['evil.webpubsub.azure.com', 'localhost, evil.com', '*', null]) {
      const { context } = createContext();
      const response = await handleEvent(preflightRequest(origin), context, h.deps);
      assert.equal(response.status, 400, String(origin));
      assert.equal(headerOf(response, 'WebHook-Allowed-Origin'), null);
    }
  });

  void it('honours WEBPUBSUB_ALLOWED_ORIGINS', async () => {
    const h = harness({ ...LOCAL_ENV, WEBPUBSUB_ALLOWED_ORIGINS: 'chat.webpubsub.azure.com' });
    const { context } = createContext();
    assert.equal((await handleEvent(preflightRequest('chat.webpubsub.azure.com'), context, h.deps)).status, 200);
    assert.equal((await handleEvent(preflightRequest('localhost'), context, h.deps)).status, 400);
  });
});

void describe('eventhandler: request verification (POST)', () => {
  const message = (overrides: Partial<CloudEventOptions> = {}): CloudEventOptions => ({ event: 'message', userId: 'alice', body: 'hi', connectionId: 'conn-1', ...overrides });

  void it('accepts an event signed with the access key, in any hex case, anywhere in the list', async () => {
    const h = harness();
    assert.equal((await h.send(message())).status, 200);
    const upper = sign('conn-1').replace(/[a-f0-9]{64}/, (hex) => hex.toUpperCase());
    assert.equal((await h.send(message({ headers: { 'ce-signature': upper } }))).status, 200);
    assert.equal((await h.send(message({ headers: { 'ce-signature': `${sign('conn-1', OTHER_KEY)},${sign('conn-1')}` } }))).status, 200);
    assert.equal(h.sent.length, 3);
  });

  void it('refuses unsigned and forged events with 401, never 500, and broadcasts nothing', async () => {
    const h = harness();
    const forgeries: Record<string, Partial<CloudEventOptions>> = {
      'no signature': { signingKey: null },
      'another key': { signingKey: OTHER_KEY },
      'another connection': { headers: { 'ce-signature': sign('conn-2') } },
      '63 hex digits': { headers: { 'ce-signature': sign('conn-1').slice(0, -1) } },
      '1 MB of hex': { headers: { 'ce-signature': `sha256=${'a'.repeat(1024 * 1024)}` } },
      'garbage': { headers: { 'ce-signature': '\u00ff\u00fe,,=' } },
      'victim id, admin user, no signature': { userId: 'admin', connectionId: 'victim', signingKey: null },
    };
    for (const [name, overrides] of Object.entries(forgeries)) {
      const response = await h.send(message(overrides));
      assert.equal(response.status, 401, name);
    }
    assert.deepEqual(h.sent, []);
  });

  void it('refuses events from a foreign origin even when signed (401) and without origin (400)', async () => {
    const h = harness();
    assert.equal((await h.send(message({ headers: { 'webhook-request-origin': 'evil.webpubsub.azure.com' } }))).status, 401);
    assert.equal((await h.send(message({ headers: { 'webhook-request-origin': null } }))).status, 400);
    assert.deepEqual(h.sent, []);
  });

  void it('requires the shared ?key= when no access key is known (keyless Azure)', async () => {
    const h = harness(KEYLESS_ENV);
    assert.equal((await h.send(message({ signingKey: null, query: `key=${WEBHOOK_KEY}` }))).status, 200);
    assert.equal((await h.send(message({ signingKey: null }))).status, 401);
    assert.equal((await h.send(message({ signingKey: null, query: 'key=wrong' }))).status, 401);
    assert.equal((await h.send(message({ query: `key=${WEBHOOK_KEY.toUpperCase()}` }))).status, 401);
    assert.equal(h.sent.length, 1);
  });

  void it('checks both the signature and the key when both are configured', async () => {
    const h = harness({ ...LOCAL_ENV, WEBPUBSUB_WEBHOOK_KEY: WEBHOOK_KEY });
    assert.equal((await h.send(message({ query: `key=${WEBHOOK_KEY}` }))).status, 200);
    assert.equal((await h.send(message())).status, 401);
    assert.equal((await h.send(message({ signingKey: null, query: `key=${WEBHOOK_KEY}` }))).status, 401);
  });

  void it('refuses replays: the same (connection, id) twice, and stale or future times', async () => {
    const h = harness();
    const first = await h.send(message({ id: 'e-1' }));
    assert.equal(first.status, 200);
    const replay = await h.send(message({ id: 'e-1', body: 'changed body' }));
    assert.equal(replay.status, 409);
    const stale = await h.send(message({ id: 'e-2', time: new Date(Date.now() - 10 * 60_000) }));
    assert.equal(stale.status, 400);
    const future = await h.send(message({ id: 'e-3', time: new Date(Date.now() + 10 * 60_000) }));
    assert.equal(future.status, 400);
    assert.equal(h.sent.length, 1);
    assert.equal(h.sent[0]?.message, 'hi');
  });

  void it('answers malformed CloudEvents with 4xx, never 500', async () => {
    const h = harness();
    for (const header of ['ce-type', 'ce-connectionid', 'ce-hub', 'ce-eventname', 'ce-id']) {
      const response = await h.send(message({ headers: { [header]: null } }));
      assert.equal(response.status, 400, header);
      assert.match((await responseJson(response)).error.message, new RegExp(header));
    }
    assert.equal((await h.send(message({ headers: { 'ce-time': null } }))).status, 400);
    assert.equal((await h.send(message({ headers: { 'ce-hub': 'otherhub' } }))).status, 400);
    assert.equal((await h.send(message({ headers: { 'ce-type': 'azure.webpubsub.sys.unknown' } }))).status, 400);
    assert.equal((await h.send(message({ headers: { 'ce-awpsversion': null } }))).status, 400);
    assert.equal((await h.send(message({ contentType: 'application/xml' }))).status, 400);
    assert.equal((await h.send({ event: 'connect', body: '{"claims": not json' })).status, 400);
    const big = await h.send(message({ body: 'x'.repeat(MAX_EVENT_BODY_BYTES + 1) }));
    assert.equal(big.status, 413);
    assert.deepEqual(h.sent, []);
  });

  void it('accepts the hub name in any case, as the service lower-cases it', async () => {
    const h = harness();
    assert.equal((await h.send(message({ headers: { 'ce-hub': 'sample_chatapp' } }))).status, 200);
  });
});

void describe('eventhandler: connect (lazy auth)', () => {
  void it('names an anonymous connection after its validated ?id=', async () => {
    const h = harness();
    const response = await h.send({ event: 'connect', body: connectBody({}, { id: ['bob'] }) });
    assert.equal(response.status, 200);
    assert.deepEqual(await responseJson(response), { userId: 'bob' });
  });

  void it('keeps the user of the access token and ignores ?id=', async () => {
    const h = harness();
    const response = await h.send({ event: 'connect', body: connectBody({ sub: ['alice'], aud: ['http://localhost:8080/client/hubs/Sample_ChatApp'] }, { id: ['admin'] }) });
    assert.deepEqual(await responseJson(response), { userId: 'alice' });
  });

  void it('refuses a connection without a valid name with 401', async () => {
    const h = harness();
    for (const query of [{}, { id: [''] }, { id: ['system'] }, { id: ['<script>'] }, { id: ['x'.repeat(100)] }]) {
      const response = await h.send({ event: 'connect', body: connectBody({}, query) });
      assert.equal(response.status, 401, JSON.stringify(query));
    }
    const noBody = await h.send({ event: 'connect', body: {} });
    assert.equal(noBody.status, 401);
  });

  void it('refuses anonymous connections when App Service Authentication is on', async () => {
    const h = harness({ ...LOCAL_ENV, WEBSITE_AUTH_ENABLED: 'True' });
    assert.equal((await h.send({ event: 'connect', body: connectBody({}, { id: ['bob'] }) })).status, 401);
    const signedIn = await h.send({ event: 'connect', body: connectBody({ sub: ['bob@contoso.com'] }, {}) });
    assert.deepEqual(await responseJson(signedIn), { userId: 'bob@contoso.com' });
  });
});

void describe('eventhandler: connected / disconnected', () => {
  void it('announces joins and leaves to everyone before answering', async () => {
    const h = harness();
    const joined = await h.send({ event: 'connected', userId: 'alice' });
    assert.equal(joined.status, 200);
    const left = await h.send({ event: 'disconnected', userId: 'alice', body: { reason: 'bye' } });
    assert.equal(left.status, 200);
    assert.deepEqual(h.sent, [
      { kind: 'joined', id: 'id-1', from: 'system', user: 'alice', message: 'alice joined the chat', time: '2024-01-01T00:00:00.000Z' },
      { kind: 'left', id: 'id-2', from: 'system', user: 'alice', message: 'alice left the chat', time: '2024-01-01T00:00:00.000Z' },
    ]);
  });

  void it('announces nothing for connections without a user, and logs a failed broadcast', async () => {
    const h = harness();
    assert.equal((await h.send({ event: 'connected' })).status, 200);
    assert.deepEqual(h.sent, []);
    h.failSends = true;
    assert.equal((await h.send({ event: 'connected', userId: 'alice' })).status, 200);
    assert.ok(h.logs.some((line) => line.level === 'error' && line.text.includes('service unavailable')));
  });
});

void describe('eventhandler: message', () => {
  void it('broadcasts text from raw clients as {kind, id, from, message, time} and answers nothing', async () => {
    const h = harness();
    const response = await h.send({ event: 'message', userId: 'alice', body: '  hello <b>world</b>  ' });
    assert.equal(response.status, 200);
    assert.equal(await responseText(response), '');
    assert.deepEqual(h.sent, [{ kind: 'message', id: 'id-1', from: 'alice', message: 'hello <b>world</b>', time: '2024-01-01T00:00:00.000Z' }]);
  });

  void it('accepts JSON strings and {message} objects from subprotocol clients', async () => {
    const h = harness();
    await h.send({ event: 'message', userId: 'alice', body: JSON.stringify('as json'), contentType: 'application/json' });
    await h.send({ event: 'message', userId: 'alice', body: { message: 'as object' } });
    assert.deepEqual(
      h.sent.map((payload) => payload.message),
      ['as json', 'as object'],
    );
  });

  void it('answers invalid messages to the sender only, with an error notice', async () => {
    const h = harness();
    const cases: [CloudEventOptions, string][] = [
      [{ event: 'message', userId: 'alice', body: '   ' }, 'message-empty'],
      [{ event: 'message', userId: 'alice', body: 'x'.repeat(2001) }, 'message-too-long'],
      [{ event: 'message', userId: 'alice', body: 'bell\u0007' }, 'message-invalid-characters'],
      [{ event: 'message', userId: 'alice', body: { text: 'wrong shape' } }, 'message-unsupported-type'],
      [{ event: 'message', userId: 'alice', body: new Uint8Array([1, 2, 3]), contentType: 'application/octet-stream' }, 'message-unsupported-type'],
      [{ event: 'message', body: 'who am I' }, 'name-missing'],
    ];
    for (const [options, code] of cases) {
      const response = await h.send(options);
      assert.equal(response.status, 200, code);
      assert.match(headerOf(response, 'content-type') ?? '', /^application\/json/);
      const body = await responseJson(response);
      assert.equal(body.kind, 'error');
      assert.equal(body.from, 'system');
      assert.equal(body.code, code);
      assert.equal(typeof body.message, 'string');
    }
    assert.deepEqual(h.sent, []);
  });

  void it('refuses other user events', async () => {
    const h = harness();
    const response = await h.send({ event: 'shout', userId: 'alice', body: 'hi' });
    assert.equal(response.status, 400);
    assert.deepEqual(h.sent, []);
  });

  void it('reports a failed broadcast to the sender (500) and accepts the service retry of that event', async () => {
    const h = harness();
    h.failSends = true;
    const failed = await h.send({ event: 'message', userId: 'alice', body: 'hi', connectionId: 'c9', id: 'e-9' });
    assert.equal(failed.status, 500);
    h.failSends = false;
    const retried = await h.send({ event: 'message', userId: 'alice', body: 'hi', connectionId: 'c9', id: 'e-9' });
    assert.equal(retried.status, 200);
    assert.equal(h.sent.length, 1);
  });
});
