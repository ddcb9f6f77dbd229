/**
 * The exact requests the dispatcher sends: every CloudEvents header, the signature for each key,
 * event ids, bodies, content types, metadata, cookies and connection state, checked on a raw
 * `node:http` upstream.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createEventDispatcher } from '../../emulator/events/index.js';
import type { ConnectOutcome, UpstreamConnection } from '../../emulator/events/types.js';
import {
  PRIMARY_KEY,
  SECONDARY_KEY,
  acceptAll,
  capturingLogger,
  connectRequest,
  connection,
  handler,
  rawHeader,
  startRecordingUpstream,
  testConfig,
  type RecordedRequest,
  type Responder,
} from './events-fixtures.js';

const FIXED_NOW = new Date('2024-05-06T07:08:09.123Z');

async function setup(t: TestContext, respond: Responder = acceptAll, accessKeys = [PRIMARY_KEY]) {
  const upstream = await startRecordingUpstream(respond);
  const log = capturingLogger();
  const dispatcher = createEventDispatcher({
    config: testConfig({ hubs: { chat: [handler(`${upstream.base}/upstream/{hub}/{event}?code=abc`)] }, accessKeys }),
    log,
    now: () => FIXED_NOW,
  });
  t.after(async () => {
    await dispatcher.close();
    await upstream.close();
  });
  return { upstream, dispatcher, log };
}

const hmac = (key: string, connectionId: string): string => createHmac('sha256', key).update(connectionId).digest('hex');

/** Verifies `ce-signature` the way a webhook would: any entry matching any known key. */
function signatureMatches(header: string | undefined, key: string, connectionId: string): boolean {
  if (header === undefined) return false;
  const expected = `sha256=${hmac(key, connectionId)}`;
  return header.split(',').some((entry) => entry.trim().toLowerCase() === expected);
}

function assertCommonHeaders(request: RecordedRequest, conn: UpstreamConnection, eventName: string, type: string, id: number): void {
  assert.equal(request.method, 'POST');
  assert.equal(rawHeader(request, 'ce-specversion'), '1.0');
  assert.equal(rawHeader(request, 'ce-awpsversion'), '1.0');
  assert.equal(rawHeader(request, 'ce-type'), type);
  assert.equal(rawHeader(request, 'ce-source'), `/hubs/chat/client/${conn.connectionId}`);
  assert.equal(rawHeader(request, 'ce-id'), String(id));
  assert.equal(rawHeader(request, 'ce-time'), FIXED_NOW.toISOString());
  assert.equal(rawHeader(request, 'ce-hub'), 'chat');
  assert.equal(rawHeader(request, 'ce-connectionId'), conn.connectionId);
  assert.equal(rawHeader(request, 'ce-eventName'), eventName);
  assert.equal(rawHeader(request, 'WebHook-Request-Origin'), 'localhost');
  assert.ok(signatureMatches(rawHeader(request, 'ce-signature'), PRIMARY_KEY, conn.connectionId));
}

void describe('CloudEvents requests', () => {
  void it('connect carries every header and the body without credentials', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const conn = connection({ hub: 'Chat', userId: 'alice', subprotocol: 'json.webpubsub.azure.v1' });
    const outcome = await dispatcher.connect(conn, connectRequest());
    assert.deepEqual(outcome, { kind: 'accepted' });

    const [validation, post] = upstream.requests;
    assert.equal(validation?.method, 'OPTIONS');
    assert.ok(post);
    assert.equal(post.url, '/upstream/chat/connect?code=abc');
    assertCommonHeaders(post, conn, 'connect', 'azure.webpubsub.sys.connect', 0);
    assert.equal(rawHeader(post, 'ce-userId'), 'alice');
    assert.equal(rawHeader(post, 'ce-subprotocol'), 'json.webpubsub.azure.v1');
    assert.equal(rawHeader(post, 'Content-Type'), 'application/json');
    assert.equal(post.headers['ce-connectionstate'], undefined);
    assert.equal(post.headers.cookie, undefined);
    assert.deepEqual(JSON.parse(post.body.toString()), {
      claims: { sub: ['alice'], role: ['webpubsub.joinLeaveGroup'] },
      query: { room: ['lobby'] },
      headers: { 'User-Agent': ['test'], Cookie: ['a=b'] },
      subprotocols: ['json.webpubsub.azure.v1'],
      clientCertificates: [],
    });
    assert.equal(conn.nextEventId, 1);
  });

  void it('omits ce-userId and ce-subprotocol when there are none', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const conn = connection({ userId: undefined, subprotocol: undefined });
    await dispatcher.connect(conn, connectRequest({ subprotocols: [] }));
    const post = upstream.posts()[0];
    assert.ok(post);
    assert.equal(post.headers['ce-userid'], undefined);
    assert.equal(post.headers['ce-subprotocol'], undefined);
  });

  void it('signs with every access key, one sha256 entry each', async (t) => {
    const { upstream, dispatcher } = await setup(t, acceptAll, [PRIMARY_KEY, SECONDARY_KEY]);
    const conn = connection();
    await dispatcher.connect(conn, connectRequest());
    const signature = upstream.posts()[0]?.headers['ce-signature'];
    assert.equal(signature, `sha256=${hmac(PRIMARY_KEY, conn.connectionId)},sha256=${hmac(SECONDARY_KEY, conn.connectionId)}`);
    assert.ok(signatureMatches(signature, SECONDARY_KEY, conn.connectionId));
    assert.ok(!signatureMatches(signature, 'another-key-that-is-long-enough-000000', conn.connectionId));
  });

  void it('numbers events: connect 0, then 1, 2, ... in call order', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const conn = connection();
    await dispatcher.connect(conn, connectRequest());
    dispatcher.connected(conn);
    const first = await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('one') });
    const second = await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('two') });
    dispatcher.disconnected(conn, 'bye');
    await upstream.waitForRequests(6);
    assert.equal(first.kind, 'ok');
    assert.equal(second.kind, 'ok');
    const posts = upstream.posts();
    const byType = (type: string) => posts.filter((post) => post.headers['ce-type'] === type).map((post) => post.headers['ce-id']);
    assert.deepEqual(byType('azure.webpubsub.sys.connect'), ['0']);
    assert.deepEqual(byType('azure.webpubsub.sys.connected'), ['1']);
    assert.deepEqual(byType('azure.webpubsub.user.message'), ['2', '3']);
    assert.deepEqual(byType('azure.webpubsub.sys.disconnected'), ['4']);
  });

  void it('connected sends {} and disconnected sends the reason', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const conn = connection();
    dispatcher.connected(conn);
    dispatcher.disconnected(conn, 'closed by the client');
    await upstream.waitForRequests(3);
    const [connected, disconnected] = upstream.posts();
    assert.ok(connected && disconnected);
    assertCommonHeaders(connected, conn, 'connected', 'azure.webpubsub.sys.connected', 1);
    assert.equal(connected.body.toString(), '{}');
    assertCommonHeaders(disconnected, conn, 'disconnected', 'azure.webpubsub.sys.disconnected', 2);
    assert.deepEqual(JSON.parse(disconnected.body.toString()), { reason: 'closed by the client' });
    assert.equal(rawHeader(disconnected, 'Content-Type'), 'application/json');
  });

  void it('user events carry the payload with the content type of its data type', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const conn = connection();
    const cases = [
      { dataType: 'text', data: Buffer.from('héllo'), contentType: 'text/plain' },
      { dataType: 'json', data: Buffer.from('{"a":[1,2]}'), contentType: 'application/json' },
      { dataType: 'binary', data: Buffer.from([0, 1, 2, 255]), contentType: 'application/octet-stream' },
      { dataType: 'protobuf', data: Buffer.from([10, 3, 1, 2, 3]), contentType: 'application/x-protobuf' },
    ] as const;
    for (const { dataType, data } of cases) {
      const outcome = await dispatcher.userEvent(conn, 'Typing', { dataType, data });
      assert.deepEqual(outcome, { kind: 'ok' });
    }
    const posts = upstream.posts();
    assert.equal(posts.length, cases.length);
    cases.forEach(({ data, contentType }, index) => {
      const post = posts[index];
      assert.ok(post);
      assertCommonHeaders(post, conn, 'Typing', 'azure.webpubsub.user.Typing', index + 1);
      assert.equal(post.url, '/upstream/chat/Typing?code=abc');
      assert.equal(rawHeader(post, 'Content-Type'), contentType);
      assert.deepEqual(post.body, data);
    });
  });

  void it('sends metadata as x-webpubsub-metadata-* and returns the reply metadata', async (t) => {
    const { upstream, dispatcher } = await setup(t, (request, res) => {
      if (request.method === 'OPTIONS') { acceptAll(request, res); return; }
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('x-webpubsub-metadata-traceId', 't-1');
      res.setHeader('x-webpubsub-metadata-__proto__', 'polluted');
      res.end('reply');
    });
    const outcome = await dispatcher.userEvent(connection(), 'message', { dataType: 'text', data: Buffer.from('x') }, { priority: 'high', 'x-k': 'v' });
    const post = upstream.posts()[0];
    assert.ok(post);
    assert.equal(rawHeader(post, 'x-webpubsub-metadata-priority'), 'high');
    assert.equal(rawHeader(post, 'x-webpubsub-metadata-x-k'), 'v');
    assert.equal(outcome.kind, 'ok');
    assert.ok(outcome.kind === 'ok' && outcome.metadata);
    assert.equal(outcome.metadata.traceid, 't-1');
    assert.equal(Object.getOwnPropertyDescriptor(outcome.metadata, '__proto__')?.value, 'polluted');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  void it('keeps a per-connection cookie jar from Set-Cookie', async (t) => {
    let served = 0;
    const { upstream, dispatcher } = await setup(t, (request, res) => {
      if (request.method === 'OPTIONS') { acceptAll(request, res); return; }
      served++;
      if (served === 1) res.setHeader('Set-Cookie', ['session=s1; Path=/; HttpOnly', 'theme=dark']);
      if (served === 2) res.setHeader('Set-Cookie', ['theme=; Max-Age=0', 'bad name=x']);
      res.end();
    });
    const conn = connection();
    const other = connection();
    await dispatcher.connect(conn, connectRequest());
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('1') });
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('2') });
    await dispatcher.userEvent(other, 'message', { dataType: 'text', data: Buffer.from('3') });
    const cookies = upstream.posts().map((post) => post.headers.cookie);
    assert.deepEqual(cookies, [undefined, 'session=s1; theme=dark', 'session=s1', undefined]);
  });

  void it('ce-connectionState: present sets, empty clears, absent keeps; notifications never change it', async (t) => {
    const states: (string | undefined)[] = ['c2Vzc2lvbj0x', undefined, 'b3RoZXI=', ''];
    let served = 0;
    const { upstream, dispatcher } = await setup(t, (request, res) => {
      if (request.method === 'OPTIONS') { acceptAll(request, res); return; }
      const type = request.headers['ce-type'];
      if (type === 'azure.webpubsub.sys.connected') {
        res.setHeader('ce-connectionState', 'ignored');
      } else {
        const state = states[served++];
        if (state !== undefined) res.setHeader('ce-connectionState', state);
      }
      res.end();
    });
    const conn = connection();
    await dispatcher.connect(conn, connectRequest());
    assert.equal(conn.connectionState, 'c2Vzc2lvbj0x');
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('a') });
    assert.equal(conn.connectionState, 'c2Vzc2lvbj0x');
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('b') });
    assert.equal(conn.connectionState, 'b3RoZXI=');
    dispatcher.connected(conn);
    await upstream.waitForRequests(5);
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('c') });
    assert.equal(conn.connectionState, undefined);
    const sent = upstream.posts().map((post) => post.headers['ce-connectionstate']);
    assert.deepEqual(sent, [undefined, 'c2Vzc2lvbj0x', 'c2Vzc2lvbj0x', 'b3RoZXI=', 'b3RoZXI=']);
  });

  void it('a non-2xx answer does not change the connection state', async (t) => {
    const { dispatcher } = await setup(t, (request, res) => {
      if (request.method === 'OPTIONS') { acceptAll(request, res); return; }
      res.statusCode = 400;
      res.setHeader('ce-connectionState', 'bad');
      res.end();
    });
    const conn = connection({ connectionState: 'kept' });
    const outcome = await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('a') });
    assert.equal(outcome.kind, 'failed');
    assert.equal(conn.connectionState, 'kept');
  });

  void it('escapes {hub} and {event} in the URL and never climbs out of the path', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const conn = connection();
    for (const name of ['../../admin', 'a/b?x=1#y', '%2e%2e', '..']) {
      await dispatcher.userEvent(conn, name, { dataType: 'text', data: Buffer.from('x') });
    }
    assert.deepEqual(
      upstream.posts().map((post) => post.url),
      [
        '/upstream/chat/..%2F..%2Fadmin?code=abc',
        '/upstream/chat/a%2Fb%3Fx%3D1%23y?code=abc',
        '/upstream/chat/%252e%252e?code=abc',
        '/upstream/chat/%2E%2E?code=abc',
      ],
    );
  });
});

void describe('handler URLs with credentials', () => {
  void it('sends user:password from the template as Basic authorization, on validation and events', async (t) => {
    const upstream = await startRecordingUpstream();
    const withCredentials = upstream.base.replace('http://', 'http://hook%20user:p%40ss@');
    const dispatcher = createEventDispatcher({ config: testConfig({ hubs: { chat: [handler(`${withCredentials}/{event}`)] } }), log: capturingLogger() });
    t.after(async () => {
      await dispatcher.close();
      await upstream.close();
    });
    assert.equal((await dispatcher.userEvent(connection(), 'message', { dataType: 'text', data: Buffer.from('x') })).kind, 'ok');
    const expected = `Basic ${Buffer.from('hook user:p@ss').toString('base64')}`;
    assert.deepEqual(upstream.requests.map((request) => [request.method, request.url, request.headers.authorization]), [
      ['OPTIONS', '/validate', expected],
      ['POST', '/message', expected],
    ]);
  });
});

void describe('client-controlled strings in headers', () => {
  void it('sends a non-Latin-1 user id as UTF-8 bytes', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const outcome = await dispatcher.connect(connection({ userId: '用户 émile' }), connectRequest());
    assert.deepEqual(outcome, { kind: 'accepted' });
    const received = upstream.posts()[0]?.headers['ce-userid'];
    // Node reads header bytes as Latin-1; the bytes are the user id's UTF-8.
    assert.equal(Buffer.from(received as string, 'latin1').toString('utf8'), '用户 émile');
  });

  void it('refuses CR/LF, control characters, padding and lone surrogates without sending or throwing', async (t) => {
    const { upstream, dispatcher, log } = await setup(t);
    for (const userId of ['a\r\nce-userId: admin', 'nul\u0000', ' admin', 'admin\t', 'bad\uD800']) {
      const conn = connection({ userId });
      const outcome: ConnectOutcome = await dispatcher.connect(conn, connectRequest());
      assert.equal(outcome.kind, 'rejected', JSON.stringify(userId));
      assert.ok(outcome.kind === 'rejected' && outcome.status === 400);
      const event = await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('x') });
      assert.equal(event.kind, 'failed');
      dispatcher.connected(conn);
      dispatcher.disconnected(conn, 'bye');
    }
    for (const eventName of ['a\r\nb', 'x\u0001', 'ünïcödé\n']) {
      const outcome = await dispatcher.userEvent(connection(), eventName, { dataType: 'text', data: Buffer.from('x') });
      assert.equal(outcome.kind, 'failed');
    }
    const badMetadata = await dispatcher.userEvent(connection(), 'message', { dataType: 'text', data: Buffer.from('x') }, { 'x\r\ny': 'v' });
    assert.equal(badMetadata.kind, 'failed');
    const badValue = await dispatcher.userEvent(connection(), 'message', { dataType: 'text', data: Buffer.from('x') }, { k: 'a\nb' });
    assert.equal(badValue.kind, 'failed');
    assert.equal(upstream.posts().length, 0);
    assert.ok(!log.lines.some((line) => line.startsWith('error')), log.lines.join('\n'));
  });

  void it('passes non-ASCII event names through UTF-8 and escapes them in the URL', async (t) => {
    const { upstream, dispatcher } = await setup(t);
    const outcome = await dispatcher.userEvent(connection(), 'сообщение', { dataType: 'text', data: Buffer.from('x') });
    assert.equal(outcome.kind, 'ok');
    const post = upstream.posts()[0];
    assert.ok(post);
    assert.equal(post.url, `/upstream/chat/${encodeURIComponent('сообщение')}?code=abc`);
    assert.equal(Buffer.from(post.headers['ce-eventname'] as string, 'latin1').toString('utf8'), 'сообщение');
    assert.equal(Buffer.from(post.headers['ce-type'] as string, 'latin1').toString('utf8'), 'azure.webpubsub.user.сообщение');
  });

  void it('a huge user id reaches the upstream, which may refuse it, and nothing crashes', async (t) => {
    const { dispatcher, log } = await setup(t);
    const outcome = await dispatcher.connect(connection({ userId: 'u'.repeat(100_000) }), connectRequest());
    // Node's server refuses headers over 16 KiB with 431; the client gets that status.
    assert.deepEqual(outcome.kind === 'rejected' ? outcome.status : outcome.kind, 431);
    assert.ok(!log.lines.some((line) => line.startsWith('error')), log.lines.join('\n'));
  });
});
