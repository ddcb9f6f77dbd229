import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { clientToken } from '../helpers/clientTokens.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { openRawClient } from '../helpers/rawClient.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }); });
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('emulator HTTP server', () => {
  let emulator: StartedEmulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(() => emulator.close());

  void it('reports its endpoint and connection string on a free port', () => {
    assert.ok(emulator.port > 0);
    assert.equal(emulator.endpoint, `http://localhost:${emulator.port}`);
    assert.equal(emulator.connectionString, `Endpoint=http://localhost:${emulator.port};AccessKey=${emulator.accessKey};Version=1.0;`);
  });

  void it('answers HEAD and GET /api/health with 200', async () => {
    assert.equal((await send(emulator.port, 'HEAD', '/api/health')).status, 200);
    assert.equal((await send(emulator.port, 'GET', '/api/health?api-version=2024-12-01')).status, 200);
  });

  void it('answers a plain GET on the client path with 400', async () => {
    const answer = await send(emulator.port, 'GET', '/client/hubs/chat');
    assert.equal(answer.status, 400);
    assert.equal(answer.headers['x-ms-error-code'], 'Error.BadRequest');
  });

  void it('answers unknown paths with a 404 JSON error', async () => {
    const answer = await send(emulator.port, 'GET', '/nothing/here');
    assert.equal(answer.status, 404);
    assert.equal(answer.headers['x-ms-error-code'], 'Error.NotFound');
    const body = JSON.parse(answer.body) as { code: string; message: string };
    assert.equal(body.code, 'Error.NotFound');
  });

  void it('refuses upgrades on paths other than the client endpoint with 404', async () => {
    const answer = await send(emulator.port, 'GET', '/other', { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    assert.equal(answer.status, 404);
  });
});

void describe('startEmulator', () => {
  void it('rejects invalid settings with a message naming them', async () => {
    await assert.rejects(startEmulator({ defaultHub: { keepAliveIntervalSeconds: 0 } }), /defaultHub\.keepAliveIntervalSeconds/);
  });

  void it('closes clients with 1001 on shutdown, subprotocol clients after a disconnected message', async () => {
    const emulator = await startEmulator();
    const url = `ws://localhost:${emulator.port}/client/hubs/chat?access_token=${clientToken(emulator.endpoint, 'chat', emulator.accessKey)}`;
    const json = await openRawClient(url, { protocols: 'json.webpubsub.azure.v1' });
    const raw = await openRawClient(url);
    await json.next((frame) => frame.event === 'connected');
    await emulator.close();
    assert.deepEqual(await json.closed, { code: 1001, reason: 'The emulator is shutting down.' });
    assert.equal((await json.next((frame) => frame.event === 'disconnected')).message, 'The emulator is shutting down.');
    assert.equal((await raw.closed).code, 1001);
  });

  void it('closes idempotently', async () => {
    const emulator = await startEmulator();
    await Promise.all([emulator.close(), emulator.close()]);
  });
});
