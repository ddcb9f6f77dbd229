/**
 * The abuse-protection handshake as the dispatcher runs it: what it sends, which answers it
 * accepts, that nothing is posted to a URL that refused, and how results are cached and retried.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { UpstreamSettings } from '../../emulator/config.js';
import { allowsOrigin } from '../../emulator/events/abuseProtection.js';
import { createEventDispatcher } from '../../emulator/events/index.js';
import {
  acceptAll,
  capturingLogger,
  connectRequest,
  connection,
  handler,
  rawHeader,
  startRecordingUpstream,
  testConfig,
  type Responder,
} from './events-fixtures.js';

/** A clock the test moves. */
function manualClock(start = Date.parse('2024-01-01T00:00:00Z')) {
  let time = start;
  return { now: () => new Date(time), advance: (ms: number) => { time += ms; } };
}

async function setup(
  t: TestContext,
  respond: Responder,
  options: { template?: string; upstream?: Partial<UpstreamSettings>; port?: number; now?: () => Date } = {},
) {
  const upstream = await startRecordingUpstream(respond);
  const log = capturingLogger();
  const template = options.template ?? '/hooks/{hub}/{event}';
  const dispatcher = createEventDispatcher({
    config: testConfig({
      hubs: { chat: [handler(`${upstream.base}${template}`)], other: [handler(`${upstream.base}${template}`)] },
      upstream: options.upstream ?? {},
      port: 0,
    }),
    log,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.port === undefined ? {} : { port: () => options.port }),
  });
  t.after(async () => {
    await dispatcher.close();
    await upstream.close();
  });
  return { upstream, dispatcher, log };
}

const message = { dataType: 'text', data: Buffer.from('hi') } as const;

/** Answers validation with the given status and allowed-origin header values; POSTs with 200. */
const validationAnswer = (status: number, allowed?: string | string[]): Responder => (request, res) => {
  if (request.method !== 'POST') {
    res.statusCode = status;
    if (allowed !== undefined) res.setHeader('WebHook-Allowed-Origin', allowed);
  }
  res.end();
};

void describe('abuse protection', () => {
  void it('sends OPTIONS to the {event}=validate URL with the origin and ce-awpsversion, once for many events', async (t) => {
    const { upstream, dispatcher } = await setup(t, acceptAll);
    const conn = connection();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => dispatcher.userEvent(conn, 'message', message)));
    assert.ok(outcomes.every((outcome) => outcome.kind === 'ok'));
    const validations = upstream.requests.filter((request) => request.method === 'OPTIONS');
    assert.equal(validations.length, 1);
    const [validation] = validations;
    assert.ok(validation);
    assert.equal(validation.url, '/hooks/chat/validate');
    assert.equal(rawHeader(validation, 'WebHook-Request-Origin'), 'localhost');
    assert.equal(rawHeader(validation, 'ce-awpsversion'), '1.0');
    assert.equal(upstream.posts().length, 10);
    assert.equal(upstream.requests[0]?.method, 'OPTIONS');
  });

  void it('validates each URL separately (one per hub) and once when the template has no {event}', async (t) => {
    const { upstream, dispatcher } = await setup(t, acceptAll, { template: '/hooks/{hub}' });
    await dispatcher.userEvent(connection({ hub: 'chat' }), 'message', message);
    await dispatcher.userEvent(connection({ hub: 'CHAT' }), 'typing', message);
    await dispatcher.userEvent(connection({ hub: 'other' }), 'message', message);
    const validations = upstream.requests.filter((request) => request.method === 'OPTIONS').map((request) => request.url);
    assert.deepEqual(validations, ['/hooks/chat', '/hooks/other']);
  });

  void it('falls back to GET when OPTIONS answers 404', async (t) => {
    const { upstream, dispatcher } = await setup(t, (request, res) => {
      if (request.method === 'OPTIONS') res.statusCode = 404;
      if (request.method === 'GET') res.setHeader('WebHook-Allowed-Origin', 'localhost');
      res.end();
    });
    assert.equal((await dispatcher.userEvent(connection(), 'message', message)).kind, 'ok');
    assert.deepEqual(upstream.requests.map((request) => request.method), ['OPTIONS', 'GET', 'POST']);
    assert.equal(rawHeader(upstream.requests[1]!, 'WebHook-Request-Origin'), 'localhost');
  });

  for (const allowed of ['*', 'localhost', 'LocalHost', 'localhost:8080', ['other.example', 'localhost'], 'other.example, localhost:8080']) {
    void it(`accepts WebHook-Allowed-Origin ${JSON.stringify(allowed)}`, async (t) => {
      const { upstream, dispatcher } = await setup(t, validationAnswer(200, allowed), { port: 8080 });
      assert.equal((await dispatcher.userEvent(connection(), 'message', message)).kind, 'ok');
      assert.equal(upstream.posts().length, 1);
    });
  }

  const refusals: [string, Responder][] = [
    ['another origin', validationAnswer(200, 'evil.example')],
    ['the right host on another port', validationAnswer(200, 'localhost:9999')],
    ['a URL instead of an origin', validationAnswer(200, 'http://localhost:8080')],
    ['no allowed-origin header', validationAnswer(200)],
    ['403', validationAnswer(403, '*')],
    ['405 to OPTIONS and 404 to GET', (request, res) => {
      res.statusCode = request.method === 'OPTIONS' ? 405 : 404;
      res.end();
    }],
  ];
  for (const [name, respond] of refusals) {
    void it(`refuses ${name}: the event fails and nothing is posted`, async (t) => {
      const { upstream, dispatcher, log } = await setup(t, respond, { port: 8080 });
      const conn = connection();
      const connect = await dispatcher.connect(conn, connectRequest());
      assert.deepEqual(connect.kind === 'rejected' ? connect.status : connect.kind, 500);
      assert.equal((await dispatcher.userEvent(conn, 'message', message)).kind, 'failed');
      dispatcher.connected(conn);
      await dispatcher.close();
      assert.equal(upstream.posts().length, 0);
      assert.ok(log.lines.some((line) => line.includes('abuse protection')));
    });
  }

  void it('gives up on a validation that gets no answer within validationTimeoutMs', async (t) => {
    const { upstream, dispatcher } = await setup(
      t,
      (request, res) => {
        if (request.method === 'POST') res.end();
        // OPTIONS: never answered; the socket is closed when the upstream closes.
      },
      { upstream: { validationTimeoutMs: 100 } },
    );
    const started = Date.now();
    const outcome = await dispatcher.userEvent(connection(), 'message', message);
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.kind === 'failed' ? outcome.reason : '', /no answer within 100 ms/);
    assert.ok(Date.now() - started < 1_000);
    assert.equal(upstream.posts().length, 0);
  });

  void it('after a refusal, waits before validating again, then succeeds', async (t) => {
    const clock = manualClock();
    let allow = false;
    const { upstream, dispatcher } = await setup(
      t,
      (request, res) => {
        if (request.method === 'OPTIONS' && allow) res.setHeader('WebHook-Allowed-Origin', '*');
        res.end();
      },
      { now: clock.now, upstream: { retryDelaysMs: [1_000, 3_000] } },
    );
    const options = () => upstream.requests.filter((request) => request.method === 'OPTIONS').length;
    const conn = connection();
    assert.equal((await dispatcher.userEvent(conn, 'message', message)).kind, 'failed');
    assert.equal(options(), 1);
    allow = true;
    clock.advance(999);
    assert.equal((await dispatcher.userEvent(conn, 'message', message)).kind, 'failed');
    assert.equal(options(), 1, 'no validation inside the backoff');
    clock.advance(1);
    assert.equal((await dispatcher.userEvent(conn, 'message', message)).kind, 'ok');
    assert.equal(options(), 2);
    assert.equal(upstream.posts().length, 1);
  });

  void it('doubles the wait after repeated refusals', async (t) => {
    const clock = manualClock();
    const { upstream, dispatcher } = await setup(t, validationAnswer(403), { now: clock.now, upstream: { retryDelaysMs: [1_000] } });
    const options = () => upstream.requests.filter((request) => request.method === 'OPTIONS').length;
    const conn = connection();
    await dispatcher.userEvent(conn, 'message', message);
    clock.advance(1_000);
    await dispatcher.userEvent(conn, 'message', message);
    assert.equal(options(), 2);
    clock.advance(1_999);
    await dispatcher.userEvent(conn, 'message', message);
    assert.equal(options(), 2, 'second backoff is 2 s');
    clock.advance(1);
    await dispatcher.userEvent(conn, 'message', message);
    assert.equal(options(), 3);
  });

  void it('trusts a validated URL for validationTtlMs, then validates again', async (t) => {
    const clock = manualClock();
    const { upstream, dispatcher } = await setup(t, acceptAll, { now: clock.now, upstream: { validationTtlMs: 60_000 } });
    const options = () => upstream.requests.filter((request) => request.method === 'OPTIONS').length;
    const conn = connection();
    await dispatcher.userEvent(conn, 'message', message);
    clock.advance(59_999);
    await dispatcher.userEvent(conn, 'message', message);
    assert.equal(options(), 1);
    clock.advance(1);
    await dispatcher.userEvent(conn, 'message', message);
    assert.equal(options(), 2);
    assert.equal(upstream.posts().length, 3);
  });
});

void describe('allowsOrigin', () => {
  void it('matches *, the hostname and hostname:port case-insensitively across values and lists', () => {
    assert.ok(allowsOrigin(['*'], 'localhost', 8080));
    assert.ok(allowsOrigin([' LOCALHOST '], 'localhost', 8080));
    assert.ok(allowsOrigin(['a.example,localhost:8080'], 'localhost', 8080));
    assert.ok(allowsOrigin(['a.example', 'Localhost:8080'], 'localhost', 8080));
    assert.ok(!allowsOrigin(['localhost:8081'], 'localhost', 8080));
    assert.ok(!allowsOrigin(['localhost.evil.example'], 'localhost', 8080));
    assert.ok(!allowsOrigin([''], 'localhost', 8080));
    assert.ok(!allowsOrigin([], 'localhost', 8080));
  });

  void it('accepts any port of the hostname while the port is unknown', () => {
    assert.ok(allowsOrigin(['localhost:54321'], 'localhost', undefined));
    assert.ok(!allowsOrigin(['localhost:'], 'localhost', undefined));
    assert.ok(!allowsOrigin(['localhost:80a'], 'localhost', undefined));
  });
});
