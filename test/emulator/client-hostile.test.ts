import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { clientToken } from '../helpers/clientTokens.js';
import { openRawClient } from '../helpers/rawClient.js';
import { withTimeout } from '../helpers/waitFor.js';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';

/** Writes raw bytes to the emulator and collects everything it answers until it closes. */
function exchange(port: number, chunks: (string | Buffer)[]): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (data: Buffer) => received.push(data));
      socket.on('error', reject);
      socket.on('close', () => {
        resolve(Buffer.concat(received).toString('latin1'));
      });
      socket.on('connect', () => {
        for (const chunk of chunks) socket.write(chunk);
      });
    }),
    20_000,
    'the emulator to answer and close',
  );
}

/** A masked client frame (RFC 6455 5.2) with the given opcode, FIN bit and payload. */
function clientFrame(opcode: number, fin: boolean, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('short frames only');
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ (mask[index % 4] ?? 0)));
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]), mask, masked]);
}

void describe('client endpoint: hostile handshakes and framing', () => {
  let emulator: StartedEmulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(() => emulator.close());

  const upgradeHead = (extraHeaders: string[]): string =>
    [
      `GET /client/hubs/chat?access_token=${clientToken(emulator.endpoint, 'chat', emulator.accessKey)} HTTP/1.1`,
      `Host: localhost:${emulator.port}`,
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      `Sec-WebSocket-Protocol: ${JSON_PROTOCOL}`,
      ...extraHeaders,
      '',
      '',
    ].join('\r\n');

  async function assertStillServing(): Promise<void> {
    const client = await openRawClient(`ws://localhost:${emulator.port}/client/hubs/chat?access_token=${clientToken(emulator.endpoint, 'chat', emulator.accessKey)}`, { protocols: JSON_PROTOCOL });
    client.send({ type: 'ping' });
    await client.next((frame) => frame.type === 'pong', 'pong');
    await client.close();
  }

  void it('runs on ws 8.21.1 or later (fixes for fragment and header floods)', () => {
    const { version } = createRequire(import.meta.url)('ws/package.json') as { version: string };
    const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
    assert.ok(major > 8 || (major === 8 && (minor > 21 || (minor === 21 && patch >= 1))), version);
  });

  void it('refuses an upgrade whose Upgrade header hides behind 2,100 others', async () => {
    const filler = Array.from({ length: 2100 }, () => 'a:1');
    const answer = await exchange(emulator.port, [upgradeHead([...filler, 'Upgrade: websocket'])]);
    // Node 20 drops the headers past its 2,000 limit (the handshake is then invalid: 400);
    // Node 22 refuses the request outright (431).
    assert.match(answer, /^HTTP\/1\.1 (400|431) /);
    await assertStillServing();
  });

  void it('refuses a malformed Sec-WebSocket-Key with 400 before any upstream work', async () => {
    const answer = await exchange(emulator.port, [upgradeHead(['Upgrade: websocket']).replace('dGhlIHNhbXBsZSBub25jZQ==', 'short')]);
    assert.match(answer, /^HTTP\/1\.1 400 /);
  });

  void it('closes a connection that floods message fragments with 1008', async () => {
    const fragments = [clientFrame(0x1, false, Buffer.from('{'))];
    for (let i = 0; i < 20_000; i++) fragments.push(clientFrame(0x0, false, Buffer.from(' ')));
    const answer = await exchange(emulator.port, [upgradeHead(['Upgrade: websocket']), Buffer.concat(fragments)]);
    assert.match(answer, /^HTTP\/1\.1 101 /);
    // The server's close frame: opcode 0x88, then the 2-byte code 1008 (0x03F0).
    const close = answer.indexOf('\x88');
    assert.ok(close > 0, 'a close frame');
    assert.equal(answer.charCodeAt(close + 2) * 256 + answer.charCodeAt(close + 3), 1008);
    await assertStillServing();
  });

  void it('closes with 1007 on invalid UTF-8 in a text frame', async () => {
    const answer = await exchange(emulator.port, [upgradeHead(['Upgrade: websocket']), clientFrame(0x1, true, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))]);
    const close = answer.lastIndexOf('\x88');
    assert.ok(close > 0, 'a close frame');
    assert.equal(answer.charCodeAt(close + 2) * 256 + answer.charCodeAt(close + 3), 1007);
    await assertStillServing();
  });
});
