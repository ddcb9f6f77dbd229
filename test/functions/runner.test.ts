import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { LogLevel } from '@azure/functions';
import type { FunctionDescriptor } from '../../src/functions/index.js';
import { createRunner, HOST_STATUS_PATH } from '../../runner/server.js';
import { HttpRequest, InvocationContext } from '../helpers/functions.js';

const seen: { request: InstanceType<typeof HttpRequest>; context: InstanceType<typeof InvocationContext>; body: string }[] = [];

const descriptors: FunctionDescriptor[] = [
  {
    name: 'echo',
    route: 'echo/{id}',
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    handler: async (request, context) => {
      const body = await request.text();
      seen.push({ request, context, body });
      return { status: 201, jsonBody: { id: request.params.id, query: request.query.get('q'), body, header: request.headers.get('x-test') }, headers: { 'x-answer': 'yes' } };
    },
  },
  {
    name: 'boom',
    route: 'boom',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: () => {
      throw new Error('secret internal detail');
    },
  },
  {
    name: 'page',
    route: '{*path}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request) => ({ body: `page:${request.params.path ?? ''}` }),
  },
];

void describe('local Functions runner', () => {
  let server: Server;
  let base: string;
  const logs: { level: LogLevel; message: string }[] = [];

  before(async () => {
    server = createRunner({ functions: descriptors, log: (level, message) => logs.push({ level, message }), maxBodyBytes: 1024 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  void it('calls the function with a real HttpRequest and InvocationContext and writes its answer', async () => {
    const response = await fetch(`${base}/echo/42?q=x`, { method: 'POST', body: 'hello', headers: { 'x-test': 'header value' } });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-answer'), 'yes');
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), { id: '42', query: 'x', body: 'hello', header: 'header value' });
    const call = seen.at(-1);
    assert.ok(call?.request instanceof HttpRequest);
    assert.ok(call.context instanceof InvocationContext);
    assert.equal(call.context.functionName, 'echo');
    assert.equal(call.request.url, `${base}/echo/42?q=x`);
  });

  void it('answers 405 for a known route with another method, 404 for unknown paths', async () => {
    assert.equal((await fetch(`${base}/echo/1`, { method: 'DELETE' })).status, 405);
    assert.equal((await fetch(`${base}/boom`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${base}/echo/1/2`, { method: 'POST' })).status, 405, 'only the GET catch-all matches this path');
    const noCatchAll = createRunner({ functions: descriptors.slice(0, 2), log: () => undefined });
    await new Promise<void>((resolve) => noCatchAll.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal((await fetch(`http://127.0.0.1:${(noCatchAll.address() as AddressInfo).port}/nothing-here`)).status, 404);
    } finally {
      await new Promise((resolve) => noCatchAll.close(resolve));
    }
  });

  void it('routes literal routes before the catch-all', async () => {
    assert.equal(await (await fetch(`${base}/`)).text(), 'page:');
    assert.equal(await (await fetch(`${base}/js/app.js`)).text(), 'page:js/app.js');
    assert.equal((await fetch(`${base}/echo/7`)).status, 201);
  });

  void it('turns a thrown error into an empty 500 and logs the stack', async () => {
    const response = await fetch(`${base}/boom`);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), '');
    assert.ok(logs.some((line) => line.level === 'error' && line.message.includes('secret internal detail') && line.message.includes('runner.test.js')));
  });

  void it('refuses bodies over the limit with 413', async () => {
    const response = await fetch(`${base}/echo/1`, { method: 'POST', body: 'x'.repeat(2048) });
    assert.equal(response.status, 413);
  });

  void it('answers the host status route for health checks', async () => {
    const response = await fetch(`${base}${HOST_STATUS_PATH}`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { state: 'Running' });
  });
});
