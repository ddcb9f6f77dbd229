import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebPubSubEventHandler, type ConnectRequest, type UserEventRequest } from '@azure/web-pubsub-express';
import { CapturedResponse, createMiddlewareRequest, runMiddleware, type Middleware } from '../../src/webhook/expressAdapter.js';
import { bodyBytes, cloudEventHeaders, TEST_HUB } from '../helpers/cloudEvents.js';
import { responseText } from '../helpers/functions.js';

const URL_ = 'http://localhost:7071/eventhandler?key=abc';

function forwarded(method: string, headers: Record<string, string>, body: Uint8Array = new Uint8Array(0)) {
  return { method, url: URL_, headers: Object.entries(headers), body };
}

function middlewareOf(handler: WebPubSubEventHandler): Middleware {
  return handler.getMiddleware() as unknown as Middleware;
}

void describe('express adapter: the fake request', () => {
  void it('carries what the middleware reads: method, path, lower-case headers, the body as a stream', async () => {
    const req = createMiddlewareRequest(forwarded('post', { 'CE-Type': 'x', 'Content-Type': 'text/plain' }, Buffer.from('hello')));
    assert.equal(req.method, 'POST');
    assert.equal(req.baseUrl, '');
    assert.equal(req.path, '/eventhandler');
    assert.equal(req.url, '/eventhandler?key=abc');
    assert.equal(req.headers['ce-type'], 'x');
    assert.equal(req.headers['content-type'], 'text/plain');
    assert.equal(Object.getPrototypeOf(req.headers), null);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
  });

  void it('ends an empty body at once', async () => {
    const req = createMiddlewareRequest(forwarded('POST', {}));
    const chunks: unknown[] = [];
    for await (const chunk of req) chunks.push(chunk);
    assert.deepEqual(chunks, []);
  });
});

void describe('express adapter: the captured response', () => {
  void it('turns statusCode, headers and body into an HttpResponseInit, once', async () => {
    const res = new CapturedResponse();
    res.statusCode = 201;
    res.setHeader('X-One', 'a');
    res.setHeader('X-Many', ['a', 'b']);
    assert.equal(res.getHeader('x-one'), 'a');
    res.end('body');
    res.end('ignored');
    const init = await res.finished;
    assert.equal(init.status, 201);
    assert.deepEqual(init.headers, { 'X-One': 'a', 'X-Many': 'a, b' });
    assert.equal(await responseText(init), 'body');
  });

  void it('drops an empty body and accepts ArrayBuffers', async () => {
    const empty = new CapturedResponse();
    empty.end('');
    assert.equal((await empty.finished).body, undefined);
    const binary = new CapturedResponse();
    binary.end(new Uint8Array([1, 2]).buffer);
    assert.deepEqual([...((await binary.finished).body as Buffer)], [1, 2]);
  });
});

void describe('express adapter: runMiddleware', () => {
  void it('reports next() and next(error)', async () => {
    assert.deepEqual(await runMiddleware((_req, _res, next) => { next(); }, forwarded('POST', {})), { kind: 'next' });
    const error = new Error('boom');
    assert.deepEqual(await runMiddleware((_req, _res, next) => { next(error); }, forwarded('POST', {})), { kind: 'next', error });
    const thrown = await runMiddleware(() => {
      throw error;
    }, forwarded('POST', {}));
    assert.deepEqual(thrown, { kind: 'next', error });
  });

  void it('waits for an answer given after the middleware returned', async () => {
    let answer: () => void = () => undefined;
    const outcome = runMiddleware((_req, res) => {
      answer = () => {
        res.statusCode = 204;
        res.end();
      };
    }, forwarded('POST', {}));
    answer();
    assert.deepEqual(await outcome, { kind: 'response', response: { status: 204, headers: {} } });
  });
});

void describe('express adapter with @azure/web-pubsub-express', () => {
  void it('delivers a connect event and returns the connect response', async () => {
    let seen: ConnectRequest | undefined;
    const handler = new WebPubSubEventHandler(TEST_HUB, {
      path: '/eventhandler',
      handleConnect: (req, res) => {
        seen = req;
        res.success({ userId: 'bob' });
      },
    });
    const body = { claims: { sub: ['alice'] }, query: { id: ['bob'] }, headers: {}, subprotocols: [] };
    const outcome = await runMiddleware(middlewareOf(handler), forwarded('POST', cloudEventHeaders({ event: 'connect', connectionId: 'c1', body }), bodyBytes(body)));
    assert.equal(outcome.kind, 'response');
    assert.ok(outcome.kind === 'response');
    assert.equal(outcome.response.status, 200);
    assert.equal(await responseText(outcome.response), '{"userId":"bob"}');
    assert.deepEqual(seen?.claims, { sub: ['alice'] });
    assert.deepEqual(seen?.queries, { id: ['bob'] });
    assert.equal(seen?.context.connectionId, 'c1');
    assert.equal(seen?.context.hub, TEST_HUB);
  });

  void it('delivers text and JSON user events and returns their answers', async () => {
    const seen: UserEventRequest[] = [];
    const handler = new WebPubSubEventHandler(TEST_HUB, {
      path: '/eventhandler',
      handleUserEvent: (req, res) => {
        seen.push(req);
        res.success(`echo`, 'text');
      },
    });
    const text = await runMiddleware(middlewareOf(handler), forwarded('POST', cloudEventHeaders({ event: 'message', userId: 'alice', body: 'hi' }), bodyBytes('hi')));
    assert.ok(text.kind === 'response');
    assert.equal(text.response.status, 200);
    assert.deepEqual(text.response.headers, { 'Content-Type': 'text/plain; charset=utf-8' });
    assert.equal(await responseText(text.response), 'echo');
    await runMiddleware(middlewareOf(handler), forwarded('POST', cloudEventHeaders({ event: 'message', userId: 'alice', body: { message: 'hi' } }), bodyBytes({ message: 'hi' })));
    assert.deepEqual(
      seen.map((req) => [req.dataType, req.data, req.context.userId, req.context.eventName]),
      [
        ['text', 'hi', 'alice', 'message'],
        ['json', { message: 'hi' }, 'alice', 'message'],
      ],
    );
  });

  void it('answers non-blocking events before running their handler, which still gets the body', async () => {
    const order: string[] = [];
    const handler = new WebPubSubEventHandler(TEST_HUB, {
      path: '/eventhandler',
      onDisconnected: (req) => order.push(`handler:${req.reason ?? ''}`),
    });
    const body = { reason: 'bye' };
    const outcome = await runMiddleware(middlewareOf(handler), forwarded('POST', cloudEventHeaders({ event: 'disconnected', userId: 'alice', body }), bodyBytes(body)));
    order.push('answered');
    assert.ok(outcome.kind === 'response');
    assert.equal(outcome.response.status, 200);
    // Give the handler (which runs after the answer) the turn it needs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(order.sort(), ['answered', 'handler:bye']);
  });

  void it('passes on what is not a Web PubSub event, and malformed JSON as an error', async () => {
    const handler = new WebPubSubEventHandler(TEST_HUB, { path: '/eventhandler', onConnected: () => undefined });
    const noVersion = cloudEventHeaders({ event: 'connected', headers: { 'ce-awpsversion': null } });
    assert.deepEqual(await runMiddleware(middlewareOf(handler), forwarded('POST', noVersion, bodyBytes({}))), { kind: 'next' });
    const otherHub = cloudEventHeaders({ event: 'connected', headers: { 'ce-hub': 'other' } });
    assert.deepEqual(await runMiddleware(middlewareOf(handler), forwarded('POST', otherHub, bodyBytes({}))), { kind: 'next' });
    const connectHandler = new WebPubSubEventHandler(TEST_HUB, { path: '/eventhandler', handleConnect: (_req, res) => { res.success(); } });
    const malformed = await runMiddleware(middlewareOf(connectHandler), forwarded('POST', cloudEventHeaders({ event: 'connect' }), Buffer.from('{not json')));
    assert.equal(malformed.kind, 'next');
    assert.ok(malformed.kind === 'next' && malformed.error instanceof SyntaxError);
  });
});
