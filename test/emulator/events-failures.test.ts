/**
 * Upstream failures (cases F1, F2, W5 of the test plan): down, slow, erroring, malformed answers,
 * cancellation. The dispatcher must map each to an outcome, retry exactly what should be retried,
 * and never throw.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import type { UpstreamSettings } from '../../emulator/config.js';
import { createEventDispatcher } from '../../emulator/events/index.js';
import type { ConnectOutcome } from '../../emulator/events/types.js';
import {
  acceptAll,
  capturingLogger,
  closedPort,
  connectRequest,
  connection,
  handler,
  startRecordingUpstream,
  testConfig,
  waitUntil,
  type RecordedRequest,
  type Responder,
} from './events-fixtures.js';

async function setup(t: TestContext, respond: Responder, upstreamSettings: Partial<UpstreamSettings> = {}, userEventPattern = '*') {
  const upstream = await startRecordingUpstream(respond);
  const log = capturingLogger();
  const dispatcher = createEventDispatcher({
    config: testConfig({ hubs: { chat: [handler(`${upstream.base}/hook/{event}`, userEventPattern)] }, upstream: upstreamSettings }),
    log,
  });
  t.after(async () => {
    await dispatcher.close();
    await upstream.close();
  });
  return { upstream, dispatcher, log };
}

/** Validation passes; POSTs are answered by `post`. */
const posts = (post: (request: RecordedRequest, res: ServerResponse, attempt: number) => void): Responder => {
  let attempt = 0;
  return (request, res) => {
    if (request.method === 'OPTIONS') {
      acceptAll(request, res);
      return;
    }
    post(request, res, attempt++);
  };
};

const answer = (status: number, body = '', contentType?: string) => (_request: RecordedRequest, res: ServerResponse): void => {
  res.statusCode = status;
  if (contentType !== undefined) res.setHeader('Content-Type', contentType);
  res.end(body);
};

const message = { dataType: 'text', data: Buffer.from('hi') } as const;
const statusOf = (outcome: ConnectOutcome): number | string => (outcome.kind === 'rejected' ? outcome.status : outcome.kind);
const noErrors = (lines: readonly string[]): void => {
  assert.ok(!lines.some((line) => line.startsWith('error')), lines.join('\n'));
};

void describe('upstream down, slow or erroring', () => {
  void it('connection refused: connect is rejected with 500 and user events fail, after the retries', async (t) => {
    const { upstream, dispatcher, log } = await setup(t, acceptAll);
    const conn = connection();
    assert.equal((await dispatcher.userEvent(conn, 'message', message)).kind, 'ok');
    await upstream.close();
    const started = Date.now();
    const connect = await dispatcher.connect(connection(), connectRequest());
    assert.equal(statusOf(connect), 500);
    assert.ok(Date.now() - started >= 20 + 40 + 60, 'waited for the retries');
    const event = await dispatcher.userEvent(conn, 'message', message);
    assert.equal(event.kind, 'failed');
    assert.match(event.kind === 'failed' ? event.reason : '', /ECONNREFUSED/);
    noErrors(log.lines);
  });

  void it('a handler URL that never answered validation fails the event without a POST', async (t) => {
    const port = await closedPort();
    const dispatcher = createEventDispatcher({ config: testConfig({ hubs: { chat: [handler(`http://127.0.0.1:${port}/{event}`)] } }), log: capturingLogger() });
    t.after(() => dispatcher.close());
    assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), 500);
    assert.equal((await dispatcher.userEvent(connection(), 'message', message)).kind, 'failed');
  });

  void it('network errors are retried after each delay, with the same ce-id and ce-time', async (t) => {
    const { upstream, dispatcher } = await setup(t, posts((_request, res) => {
      res.socket?.destroy();
    }));
    const outcome = await dispatcher.userEvent(connection(), 'message', message);
    assert.equal(outcome.kind, 'failed');
    const attempts = upstream.posts();
    // The first attempt went over the keep-alive socket of the validation; a reset there looks like
    // a socket the server had closed while idle and is resent at once. Then 3 delayed retries.
    assert.equal(attempts.length, 1 + 1 + 3);
    assert.equal(new Set(attempts.map((request) => request.headers['ce-id'])).size, 1);
    assert.equal(new Set(attempts.map((request) => request.headers['ce-time'])).size, 1);
  });

  void it('500 then success: retried, and the reply of the success is delivered', async (t) => {
    const { upstream, dispatcher } = await setup(t, posts((request, res, attempt) => {
      if (attempt === 0) answer(500, 'boom')(request, res);
      else answer(200, 'pong', 'text/plain; charset=utf-8')(request, res);
    }));
    const outcome = await dispatcher.userEvent(connection(), 'message', message);
    assert.deepEqual(outcome, { kind: 'ok', reply: { dataType: 'text', data: Buffer.from('pong') } });
    const attempts = upstream.posts();
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]?.headers['ce-id'], attempts[1]?.headers['ce-id']);
  });

  for (const status of [408, 502, 503]) {
    void it(`${status} is retried; a connect that keeps getting it is rejected with it`, async (t) => {
      const { upstream, dispatcher } = await setup(t, posts(answer(status)));
      assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), status >= 500 ? status : 408);
      assert.equal(upstream.posts().length, 4);
    });
  }

  for (const status of [400, 401, 403, 404, 429]) {
    void it(`${status} is not retried: connect is rejected with it, a user event fails`, async (t) => {
      const { upstream, dispatcher } = await setup(t, posts(answer(status, 'detail not forwarded')));
      const connect = await dispatcher.connect(connection(), connectRequest());
      assert.equal(statusOf(connect), status);
      assert.doesNotMatch(connect.kind === 'rejected' ? connect.reason : '', /detail not forwarded/);
      assert.equal((await dispatcher.userEvent(connection(), 'message', message)).kind, 'failed');
      assert.equal(upstream.posts().length, 2);
    });
  }

  void it('a redirect is not followed and rejects the connect with 500', async (t) => {
    const { dispatcher } = await setup(t, posts((_request, res) => {
      res.writeHead(302, { Location: 'http://127.0.0.1:1/' }).end();
    }));
    assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), 500);
  });

  void it('stops retrying when the next wait would pass the deadline', async (t) => {
    const { upstream, dispatcher } = await setup(t, posts(answer(500)), { timeoutMs: 300, retryDelaysMs: [50, 1_000, 1_000] });
    const started = Date.now();
    assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), 500);
    assert.equal(upstream.posts().length, 2);
    assert.ok(Date.now() - started < 300);
  });

  void it('slow beyond timeoutMs: the event fails at the timeout and is not retried', async (t) => {
    const { upstream, dispatcher } = await setup(t, posts(() => {
      // Never answered.
    }), { timeoutMs: 150 });
    const started = Date.now();
    const connect = await dispatcher.connect(connection(), connectRequest());
    assert.equal(statusOf(connect), 500);
    assert.match(connect.kind === 'rejected' ? connect.reason : '', /no answer within 150 ms/);
    const event = await dispatcher.userEvent(connection(), 'message', message);
    assert.equal(event.kind, 'failed');
    assert.ok(Date.now() - started < 1_500);
    assert.equal(upstream.posts().length, 2);
  });

  void it('a slow handler for one connection does not hold up another', async (t) => {
    const { dispatcher } = await setup(t, posts((request, res) => {
      if (request.body.toString() === 'slow') return;
      res.end();
    }), { timeoutMs: 1_000 });
    const slow = dispatcher.userEvent(connection(), 'message', { dataType: 'text', data: Buffer.from('slow') });
    const started = Date.now();
    for (let i = 0; i < 20; i++) assert.equal((await dispatcher.userEvent(connection(), 'message', message)).kind, 'ok');
    assert.ok(Date.now() - started < 900);
    assert.equal((await slow).kind, 'failed');
  });

  void it('keeps at most maxConnections requests open to one handler; the rest wait their turn', async (t) => {
    const concurrencyWith = async (upstreamSettings: Partial<UpstreamSettings>): Promise<number> => {
      let open = 0;
      let most = 0;
      const { dispatcher } = await setup(t, posts((_request, res) => {
        most = Math.max(most, ++open);
        // Held long enough for an uncapped burst to overlap; the cap alone decides the capped case.
        setTimeout(() => {
          open--;
          res.end();
        }, 50);
      }), upstreamSettings);
      const outcomes = await Promise.all(Array.from({ length: 12 }, () => dispatcher.userEvent(connection(), 'message', message)));
      assert.deepEqual(outcomes.map((outcome) => outcome.kind), Array<string>(12).fill('ok'));
      return most;
    };
    assert.equal(await concurrencyWith({ maxConnections: 2 }), 2);
    assert.ok(await concurrencyWith({}) > 2, 'without a low limit the same burst opens more connections');
  });

  void it('a response body over 16 MiB fails the event', async (t) => {
    const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x61);
    const { dispatcher } = await setup(t, posts((_request, res) => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(big);
    }));
    assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), 500);
    const event = await dispatcher.userEvent(connection(), 'message', message);
    assert.equal(event.kind, 'failed');
  });

  void it('connected and disconnected failures are only logged', async (t) => {
    const { upstream, dispatcher, log } = await setup(t, posts(answer(500)));
    const conn = connection();
    dispatcher.connected(conn);
    dispatcher.disconnected(conn, 'bye');
    await waitUntil(() => log.lines.filter((line) => line.startsWith('warn')).length >= 2, 'two warnings');
    assert.equal(upstream.posts().length, 8);
    assert.ok(log.lines.some((line) => /connected of connection .* not delivered: the handler answered 500/.test(line)));
    noErrors(log.lines);
  });
});

void describe('connect responses', () => {
  const malformed: [string, string, string?][] = [
    ['not JSON', 'welcome!'],
    ['a JSON array', '[1]'],
    ['a JSON string', '"alice"'],
    ['userId of the wrong type', '{"userId":5}'],
    ['a userId with CR/LF', '{"userId":"a\\r\\nb"}'],
    ['groups not an array', '{"groups":"g"}'],
    ['an empty group name', '{"groups":[""]}'],
    ['a group name too long', JSON.stringify({ groups: ['g'.repeat(1025)] })],
    ['roles of the wrong type', '{"roles":[1]}'],
    ['an invalid subprotocol', '{"subprotocol":"a b"}'],
    ['truncated JSON under application/json', '{"userId":', 'application/json'],
  ];
  for (const [name, body, contentType] of malformed) {
    void it(`rejects ${name} with 500`, async (t) => {
      const { dispatcher, log } = await setup(t, posts(answer(200, body, contentType)));
      assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), 500);
      assert.ok(log.lines.some((line) => line.includes('malformed connect response')));
    });
  }

  const accepted: [string, number, string, string | undefined, ConnectOutcome][] = [
    ['204', 204, '', undefined, { kind: 'accepted' }],
    ['an empty 200', 200, '', undefined, { kind: 'accepted' }],
    ['JSON null', 200, 'null', 'application/json', { kind: 'accepted' }],
    ['null fields', 200, '{"userId":null,"groups":null,"roles":null,"subprotocol":null}', 'application/json', { kind: 'accepted' }],
    [
      'every field, as JSON under text/plain',
      200,
      '{"userId":"bob","groups":["g1","g2"],"roles":["webpubsub.joinLeaveGroup"],"subprotocol":"json.webpubsub.azure.v1","extra":1}',
      'text/plain; charset=utf-8',
      { kind: 'accepted', userId: 'bob', groups: ['g1', 'g2'], roles: ['webpubsub.joinLeaveGroup'], subprotocol: 'json.webpubsub.azure.v1' },
    ],
    ['empty values: userId "" overrides, [] roles clear, [] groups keep', 200, '{"userId":"","groups":[],"roles":[]}', 'application/json', { kind: 'accepted', userId: '', roles: [] }],
    ['__proto__ keys stay data', 200, '{"__proto__":{"userId":"admin","polluted":true},"userId":"bob"}', 'application/json', { kind: 'accepted', userId: 'bob' }],
  ];
  for (const [name, status, body, contentType, expected] of accepted) {
    void it(`accepts ${name}`, async (t) => {
      const { dispatcher } = await setup(t, posts(answer(status, body, contentType)));
      assert.deepEqual(await dispatcher.connect(connection(), connectRequest()), expected);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }
});

void describe('user event replies', () => {
  const replies: [string, string | undefined, Buffer, string | undefined][] = [
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8', Buffer.from('héllo'), 'text'],
    ['application/json; charset=utf-8', 'application/json; charset=utf-8', Buffer.from('{"a":1}'), 'json'],
    ['application/octet-stream', 'application/octet-stream', Buffer.from([1, 2, 3]), 'binary'],
    ['application/x-protobuf', 'application/x-protobuf', Buffer.from([10, 0]), 'protobuf'],
    ['TEXT/PLAIN (case-insensitive)', 'TEXT/PLAIN', Buffer.from('x'), 'text'],
    ['no Content-Type', undefined, Buffer.from([7]), 'binary'],
    ['text/html (unsupported)', 'text/html', Buffer.from('<p>'), undefined],
    ['invalid JSON under application/json', 'application/json', Buffer.from('{nope'), undefined],
  ];
  for (const [name, contentType, body, dataType] of replies) {
    void it(`maps ${name}`, async (t) => {
      const { dispatcher } = await setup(t, posts((_request, res) => {
        if (contentType === undefined) res.removeHeader('Content-Type');
        else res.setHeader('Content-Type', contentType);
        res.end(body);
      }));
      const outcome = await dispatcher.userEvent(connection(), 'message', message);
      if (dataType === undefined) assert.equal(outcome.kind, 'failed');
      else assert.deepEqual(outcome, { kind: 'ok', reply: { dataType, data: body } });
    });
  }

  void it('an empty 2xx body is no reply, whatever its content type (trap 17)', async (t) => {
    const { dispatcher } = await setup(t, posts((_request, res) => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end();
    }));
    assert.deepEqual(await dispatcher.userEvent(connection(), 'message', message), { kind: 'ok' });
  });

  void it('events that match no handler are no-handler, and nothing is sent', async (t) => {
    const { upstream, dispatcher } = await setup(t, acceptAll, {}, 'message, typing');
    assert.equal((await dispatcher.userEvent(connection(), 'other', message)).kind, 'no-handler');
    assert.equal((await dispatcher.userEvent(connection(), 'TYPING', message)).kind, 'ok');
    assert.deepEqual(upstream.posts().map((request) => request.headers['ce-eventname']), ['TYPING']);
  });
});

void describe('cancellation', () => {
  void it('forget aborts the pending requests of that connection only, and leaves disconnected alone', async (t) => {
    const aborted: string[] = [];
    const held = new Map<string, ServerResponse>();
    const { upstream, dispatcher } = await setup(t, posts((request, res) => {
      const type = String(request.headers['ce-type']);
      if (type.endsWith('disconnected') || request.body.toString() === 'quick') {
        res.end();
        return;
      }
      held.set(String(request.headers['ce-connectionid']), res);
      res.on('close', () => {
        if (!res.writableEnded) aborted.push(type);
      });
    }));
    const gone = connection();
    const staying = connection();
    const pendingConnect = dispatcher.connect(gone, connectRequest());
    const pendingEvent = dispatcher.userEvent(gone, 'message', message);
    const otherEvent = dispatcher.userEvent(staying, 'message', message);
    await upstream.waitForRequests(4);
    dispatcher.disconnected(gone, 'gone');
    dispatcher.forget(gone.connectionId);
    assert.deepEqual(await pendingConnect, { kind: 'rejected', status: 500, reason: 'the connection went away' });
    assert.deepEqual(await pendingEvent, { kind: 'failed', reason: 'the connection went away' });
    await waitUntil(() => aborted.length === 2, 'the upstream to see two aborted requests');
    assert.deepEqual(aborted.sort(), ['azure.webpubsub.sys.connect', 'azure.webpubsub.user.message']);
    await waitUntil(() => upstream.posts().some((request) => String(request.headers['ce-type']).endsWith('disconnected')), 'disconnected');
    assert.equal((await dispatcher.userEvent(staying, 'message', { dataType: 'text', data: Buffer.from('quick') })).kind, 'ok');
    held.get(staying.connectionId)?.end();
    assert.equal((await otherEvent).kind, 'ok');
  });

  void it('disconnected waits for the connection\'s connected to finish', async (t) => {
    let releaseConnected: (() => void) | undefined;
    const order: string[] = [];
    const { upstream, dispatcher } = await setup(t, posts((request, res) => {
      const event = String(request.headers['ce-eventname']);
      order.push(`received ${event}`);
      if (event === 'connected') {
        releaseConnected = () => {
          order.push('answered connected');
          res.end();
        };
      } else {
        res.end();
      }
    }));
    const conn = connection();
    dispatcher.connected(conn);
    dispatcher.disconnected(conn, 'bye');
    await waitUntil(() => releaseConnected !== undefined, 'connected to arrive');
    assert.equal(upstream.posts().length, 1);
    releaseConnected?.();
    await waitUntil(() => upstream.posts().length === 2, 'disconnected to arrive');
    assert.deepEqual(order, ['received connected', 'answered connected', 'received disconnected']);
  });

  void it('close aborts everything in flight, and later calls fail without throwing', async (t) => {
    const { upstream, dispatcher, log } = await setup(t, posts(() => {
      // Never answered.
    }), { timeoutMs: 60_000 });
    const conn = connection();
    const pending = [dispatcher.connect(conn, connectRequest()), dispatcher.userEvent(conn, 'message', message)];
    dispatcher.connected(conn);
    await upstream.waitForRequests(4);
    const started = Date.now();
    await dispatcher.close();
    assert.ok(Date.now() - started < 1_000);
    const [connect, event] = await Promise.all(pending);
    assert.deepEqual(connect, { kind: 'rejected', status: 500, reason: 'the emulator is closing' });
    assert.deepEqual(event, { kind: 'failed', reason: 'the emulator is closing' });
    assert.equal(statusOf(await dispatcher.connect(connection(), connectRequest())), 500);
    assert.equal((await dispatcher.userEvent(conn, 'message', message)).kind, 'failed');
    dispatcher.connected(conn);
    dispatcher.disconnected(conn, undefined);
    dispatcher.forget(conn.connectionId);
    await dispatcher.close();
    noErrors(log.lines);
  });
});
