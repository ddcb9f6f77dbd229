/**
 * End to end against a raw `node:http` upstream: the exact requests the running emulator sends for
 * a client's life, and what clients see when the upstream is down, slow, erroring, refusing
 * validation or answering nonsense, or when client-chosen strings try to break the headers.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import type { ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { startEmulator, type StartEmulatorOptions, type StartedEmulator } from '../helpers/emulator.js';
import {
  PRIMARY_KEY,
  SECONDARY_KEY,
  acceptAll,
  closedPort,
  rawHeader,
  startRecordingUpstream,
  waitUntil,
  type RecordedRequest,
  type RecordingUpstream,
  type Responder,
} from './events-fixtures.js';
import { clientAccessUrl, handshakeStatus, openRawClient, type RawClient } from './upstream-fixtures.js';

const HUB = 'chat';
const JSON_PROTOCOL = 'json.webpubsub.azure.v1';
type Upstream = NonNullable<StartEmulatorOptions['upstream']>;

async function startWith(t: TestContext, urlTemplate: string, upstream: Upstream = {}, accessKeys?: string[]): Promise<StartedEmulator> {
  const emulator = await startEmulator({
    hubs: { [HUB]: { eventHandlers: [{ urlTemplate, userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] }] } },
    upstream,
    ...(accessKeys === undefined ? {} : { accessKeys }),
  });
  t.after(() => emulator.close());
  return emulator;
}

async function setup(t: TestContext, respond: Responder = acceptAll, upstreamSettings: Upstream = {}, accessKeys?: string[]) {
  const upstream = await startRecordingUpstream(respond);
  t.after(() => upstream.close());
  const emulator = await startWith(t, `${upstream.base}/hook/{event}`, upstreamSettings, accessKeys);
  const urlFor = (userId = 'alice') => clientAccessUrl(emulator.connectionString, HUB, { userId });
  return { upstream, emulator, urlFor };
}

/** Validation passes; POSTs are answered by `post`. */
const posts = (post: (request: RecordedRequest, res: ServerResponse) => void): Responder => (request, res) => {
  if (request.method === 'OPTIONS') acceptAll(request, res);
  else post(request, res);
};

const ofType = (upstream: RecordingUpstream, suffix: string): RecordedRequest[] =>
  upstream.posts().filter((post) => String(post.headers['ce-type']).endsWith(suffix));

async function jsonClient(t: TestContext, url: string): Promise<{ client: RawClient; connectionId: string }> {
  const client = await openRawClient(url, [JSON_PROTOCOL]);
  t.after(() => {
    client.socket.terminate();
  });
  const connected = JSON.parse((await client.nextFrame()).data.toString()) as { event: string; connectionId: string };
  assert.equal(connected.event, 'connected');
  return { client, connectionId: connected.connectionId };
}

function healthStatus(emulator: StartedEmulator): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'localhost', port: emulator.port, method: 'HEAD', path: '/api/health' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const hmac = (key: string, connectionId: string): string => createHmac('sha256', key).update(connectionId).digest('hex');

void describe('upstream wire, end to end', () => {
  void it('sends every CloudEvents header through a client\'s life, signed with both keys', async (t) => {
    const { upstream, emulator } = await setup(t, acceptAll, {}, [PRIMARY_KEY, SECONDARY_KEY]);
    const url = await clientAccessUrl(emulator.connectionString, 'Chat', { userId: 'alice' });
    const { client, connectionId } = await jsonClient(t, url);
    client.socket.send(JSON.stringify({ type: 'event', event: 'typing', dataType: 'json', data: { on: true }, ackId: 1 }));
    const ack = JSON.parse((await client.nextFrame()).data.toString()) as { type: string; success: boolean };
    assert.deepEqual(ack, { type: 'ack', ackId: 1, success: true });
    client.socket.close(1000);
    await waitUntil(() => ofType(upstream, 'disconnected').length === 1, 'disconnected');

    const validation = upstream.requests[0];
    assert.ok(validation);
    assert.equal(validation.method, 'OPTIONS');
    assert.equal(validation.url, '/hook/validate');
    assert.equal(rawHeader(validation, 'WebHook-Request-Origin'), 'localhost');
    assert.equal(rawHeader(validation, 'ce-awpsversion'), '1.0');

    const sent = upstream.posts();
    assert.deepEqual(sent.map((post) => [post.url, post.headers['ce-type'], post.headers['ce-id']]), [
      ['/hook/connect', 'azure.webpubsub.sys.connect', '0'],
      ['/hook/connected', 'azure.webpubsub.sys.connected', '1'],
      ['/hook/typing', 'azure.webpubsub.user.typing', '2'],
      ['/hook/disconnected', 'azure.webpubsub.sys.disconnected', '3'],
    ]);
    for (const post of sent) {
      assert.equal(rawHeader(post, 'ce-specversion'), '1.0');
      assert.equal(rawHeader(post, 'ce-awpsversion'), '1.0');
      assert.equal(rawHeader(post, 'ce-hub'), 'chat');
      assert.equal(rawHeader(post, 'ce-source'), `/hubs/chat/client/${connectionId}`);
      assert.equal(rawHeader(post, 'ce-connectionId'), connectionId);
      assert.equal(rawHeader(post, 'ce-userId'), 'alice');
      // The subprotocol is settled by `connect`; the connect request itself lists the offers in its body.
      assert.equal(rawHeader(post, 'ce-subprotocol'), post === sent[0] ? undefined : JSON_PROTOCOL);
      assert.equal(rawHeader(post, 'WebHook-Request-Origin'), 'localhost');
      assert.ok(Math.abs(Date.parse(rawHeader(post, 'ce-time') ?? '') - Date.now()) < 60_000);
      const entries = (rawHeader(post, 'ce-signature') ?? '').split(',');
      assert.deepEqual(entries, [`sha256=${hmac(PRIMARY_KEY, connectionId)}`, `sha256=${hmac(SECONDARY_KEY, connectionId)}`]);
    }
    const [connect, connected, typing, disconnected] = sent;
    const connectBody = JSON.parse(connect?.body.toString() ?? '') as Record<string, unknown>;
    assert.deepEqual(connectBody.subprotocols, [JSON_PROTOCOL]);
    assert.deepEqual(connectBody.clientCertificates, []);
    assert.deepEqual((connectBody.claims as Record<string, unknown>).sub, ['alice']);
    assert.equal(connected?.body.toString(), '{}');
    assert.equal(rawHeader(typing!, 'Content-Type'), 'application/json');
    assert.deepEqual(JSON.parse(typing?.body.toString() ?? ''), { on: true });
    assert.equal(typeof (JSON.parse(disconnected?.body.toString() ?? '') as { reason: unknown }).reason, 'string');
  });

  void it('upstream down: the handshake fails with 500 and the emulator stays healthy', async (t) => {
    const port = await closedPort();
    const emulator = await startWith(t, `http://127.0.0.1:${port}/hook/{event}`);
    assert.equal(await handshakeStatus(await clientAccessUrl(emulator.connectionString, HUB, { userId: 'alice' })), 500);
    assert.equal(await healthStatus(emulator), 200);
  });

  void it('slow connect handler: the handshake fails with 500 at the timeout', async (t) => {
    const { upstream, urlFor } = await setup(t, posts(() => {
      // Never answered.
    }), { timeoutMs: 300 });
    const started = Date.now();
    assert.equal(await handshakeStatus(await urlFor()), 500);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(upstream.posts().length, 1);
  });

  void it('connect answered 500 then 200: retried, and the client connects', async (t) => {
    let attempts = 0;
    const { upstream, urlFor } = await setup(t, posts((request, res) => {
      if (request.headers['ce-type'] === 'azure.webpubsub.sys.connect' && attempts++ === 0) res.statusCode = 500;
      res.end();
    }));
    assert.equal(await handshakeStatus(await urlFor()), 101);
    assert.equal(ofType(upstream, 'connect').length, 2);
  });

  for (const status of [400, 401, 403, 429]) {
    void it(`connect answered ${status}: not retried, the handshake fails with ${status}, nothing follows`, async (t) => {
      const { upstream, urlFor } = await setup(t, posts((request, res) => {
        if (request.headers['ce-userid'] !== 'mallory') {
          res.end();
          return;
        }
        res.statusCode = status;
        res.end('detail');
      }));
      assert.equal(await handshakeStatus(await urlFor('mallory')), status);
      // Barrier: a second, accepted connection's whole life is seen upstream after the refused one.
      assert.equal(await handshakeStatus(await urlFor('alice')), 101);
      await waitUntil(() => ofType(upstream, 'disconnected').length === 1, 'the barrier connection to end');
      const seen = upstream.posts().map((post) => `${String(post.headers['ce-userid'])} ${String(post.headers['ce-eventname'])}`);
      assert.deepEqual(seen, ['mallory connect', 'alice connect', 'alice connected', 'alice disconnected']);
    });
  }

  void it('validation refused: the handshake fails with 500 and nothing is posted', async (t) => {
    const { upstream, urlFor } = await setup(t, (_request, res) => {
      res.statusCode = 405;
      res.end();
    });
    assert.equal(await handshakeStatus(await urlFor()), 500);
    // GET is only tried when OPTIONS answers 404.
    assert.deepEqual(upstream.requests.map((request) => request.method), ['OPTIONS']);
  });

  void it('a malformed connect response fails the handshake with 500', async (t) => {
    const { urlFor } = await setup(t, posts((_request, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"userId": 42}');
    }));
    assert.equal(await handshakeStatus(await urlFor()), 500);
  });

  void it('a user event that fails: the JSON client gets InternalServerError and keeps its connection', async (t) => {
    const { urlFor } = await setup(t, posts((request, res) => {
      if (request.headers['ce-eventname'] === 'bad') res.statusCode = 400;
      res.end();
    }));
    const { client } = await jsonClient(t, await urlFor());
    client.socket.send(JSON.stringify({ type: 'event', event: 'bad', dataType: 'text', data: 'x', ackId: 1 }));
    const failed = JSON.parse((await client.nextFrame()).data.toString()) as { success: boolean; error: { name: string } };
    assert.equal(failed.success, false);
    assert.equal(failed.error.name, 'InternalServerError');
    client.socket.send(JSON.stringify({ type: 'event', event: 'good', dataType: 'text', data: 'x', ackId: 2 }));
    assert.deepEqual(JSON.parse((await client.nextFrame()).data.toString()), { type: 'ack', ackId: 2, success: true });
  });

  void it('a reply is delivered to the sender before its ack', async (t) => {
    const { urlFor } = await setup(t, posts((request, res) => {
      if (request.headers['ce-eventname'] === 'echo') res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(request.headers['ce-eventname'] === 'echo' ? `echo ${request.body.toString()}` : undefined);
    }));
    const { client } = await jsonClient(t, await urlFor());
    client.socket.send(JSON.stringify({ type: 'event', event: 'echo', dataType: 'text', data: 'hi', ackId: 7 }));
    assert.deepEqual(JSON.parse((await client.nextFrame()).data.toString()), { type: 'message', from: 'server', dataType: 'text', data: 'echo hi' });
    assert.deepEqual(JSON.parse((await client.nextFrame()).data.toString()), { type: 'ack', ackId: 7, success: true });
  });

  void it('a client that leaves while its event is pending: the upstream request is cancelled', async (t) => {
    let abortedEvent = false;
    const { upstream, urlFor } = await setup(t, posts((request, res) => {
      if (request.headers['ce-eventname'] === 'slow') {
        res.on('close', () => {
          abortedEvent = !res.writableEnded;
        });
        return;
      }
      res.end();
    }), { timeoutMs: 10_000 });
    const { client } = await jsonClient(t, await urlFor());
    client.socket.send(JSON.stringify({ type: 'event', event: 'slow', dataType: 'text', data: 'x', ackId: 1 }));
    await waitUntil(() => ofType(upstream, 'user.slow').length === 1, 'the slow event upstream');
    client.socket.close(1000);
    await waitUntil(() => abortedEvent, 'the upstream to see the request cancelled');
    await waitUntil(() => ofType(upstream, 'disconnected').length === 1, 'disconnected');
  });

  void it('a slow handler for one client does not hold up the others', async (t) => {
    const { urlFor } = await setup(t, posts((request, res) => {
      if (request.headers['ce-eventname'] !== 'slow') res.end();
    }), { timeoutMs: 10_000 });
    const slow = await jsonClient(t, await urlFor('slow'));
    slow.client.socket.send(JSON.stringify({ type: 'event', event: 'slow', dataType: 'text', data: 'x', ackId: 1 }));
    const { client } = await jsonClient(t, await urlFor('quick'));
    for (let ackId = 1; ackId <= 10; ackId++) {
      client.socket.send(JSON.stringify({ type: 'event', event: 'quick', dataType: 'text', data: 'x', ackId }));
      assert.deepEqual(JSON.parse((await client.nextFrame(1_000)).data.toString()), { type: 'ack', ackId, success: true });
    }
  });

  void it('raw client: an upstream failure closes the socket with 1011', async (t) => {
    const { urlFor } = await setup(t, posts((request, res) => {
      res.statusCode = request.body.toString() === 'fail' ? 403 : 200;
      res.end();
    }));
    const client = await openRawClient(await urlFor());
    t.after(() => {
      client.socket.terminate();
    });
    client.socket.send('fail');
    assert.equal((await client.closed).code, 1011);
  });
});

void describe('client-chosen strings on their way upstream', () => {
  void it('user ids with CR/LF or over 1024 characters are refused at the handshake; nothing reaches the upstream', async (t) => {
    const { upstream, emulator, urlFor } = await setup(t);
    assert.equal(await handshakeStatus(await urlFor('a\r\nce-userId: admin')), 400);
    assert.equal(await handshakeStatus(await urlFor('u'.repeat(5_000))), 400);
    assert.equal(upstream.posts().length, 0);
    assert.equal(await healthStatus(emulator), 200);
  });

  void it('a non-Latin-1 user id is sent as UTF-8 bytes', async (t) => {
    const { upstream, urlFor } = await setup(t);
    assert.equal(await handshakeStatus(await urlFor('用户')), 101);
    const userId = ofType(upstream, 'connect')[0]?.headers['ce-userid'];
    assert.equal(Buffer.from(String(userId), 'latin1').toString('utf8'), '用户');
  });

  void it('hostile event names and metadata are refused (failed ack or close), never crash, never reach a header raw', async (t) => {
    const { upstream, emulator, urlFor } = await setup(t);
    const hostile = [
      { event: '../../admin' },
      { event: 'a\r\nce-userId: admin' },
      { event: '用户' },
      { event: 'e'.repeat(10_000) },
      { event: 'ok', metadata: { 'x\r\ny': 'v' } },
      { event: 'ok', metadata: { k: 'a\r\nb' } },
      { event: 'ok', metadata: { k: '用户' } },
    ];
    for (const fields of hostile) {
      const { client } = await jsonClient(t, await urlFor());
      client.socket.send(JSON.stringify({ type: 'event', dataType: 'text', data: 'x', ackId: 1, ...fields }));
      const answer: { type: string; success?: boolean; code?: number } = await Promise.race([
        client.nextFrame().then((frame) => JSON.parse(frame.data.toString()) as { type: string; success?: boolean }),
        client.closed.then(({ code }) => ({ type: 'close', code })),
      ]);
      assert.ok(answer.type === 'close' || (answer.type === 'ack' && answer.success === false), JSON.stringify(answer));
    }
    for (const post of upstream.posts()) {
      for (const value of post.rawHeaders) assert.doesNotMatch(value, /[\r\n]/);
      assert.equal(post.headers['ce-userid'], 'alice');
      assert.equal(post.headers['ce-type'] === undefined || !String(post.headers['ce-type']).includes('admin'), true);
    }
    const { client } = await jsonClient(t, await urlFor());
    client.socket.send(JSON.stringify({ type: 'event', event: 'ok', dataType: 'text', data: 'x', ackId: 9 }));
    assert.deepEqual(JSON.parse((await client.nextFrame()).data.toString()), { type: 'ack', ackId: 9, success: true });
    assert.equal(await healthStatus(emulator), 200);
  });
});
