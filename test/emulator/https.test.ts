import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebPubSubServiceClient, type WebPubSubServiceClientOptions } from '@azure/web-pubsub';
import { WebSocket } from 'ws';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { fakeEntraCredential, fakeEntraToken } from '../helpers/entraTokens.js';
import { withTimeout } from '../helpers/waitFor.js';

const HUB = 'secure';
const SDK_SCRIPT = fileURLToPath(new URL('../helpers/tlsSdkScript.js', import.meta.url));

/** Lets an in-process SDK client trust the development certificate, through its pipeline's agent. */
function trusting(agent: Agent): WebPubSubServiceClientOptions {
  return {
    additionalPolicies: [
      {
        position: 'perCall',
        policy: {
          name: 'trustDevelopmentCertificate',
          sendRequest: (pipelineRequest, next) => {
            pipelineRequest.agent = agent;
            return next(pipelineRequest);
          },
        },
      },
    ],
  };
}

/** Opens a wss client with the token URL and resolves with its first JSON frame. */
async function firstFrame(url: string, ca: Buffer): Promise<any> {
  const ws = new WebSocket(url, 'json.webpubsub.azure.v1', { ca });
  try {
    return await withTimeout(
      new Promise((resolve, reject) => {
        ws.once('message', (data) => { resolve(JSON.parse((data as Buffer).toString('utf8'))); });
        ws.once('error', reject);
      }),
      10_000,
      'the first frame over wss',
    );
  } finally {
    ws.terminate();
  }
}

function status(emulator: StartedEmulator, ca: Buffer, path: string, token?: string): Promise<number> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = request(`${emulator.endpoint}${path}`, { method: 'HEAD', ca, headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    }),
    10_000,
    `HEAD ${path}`,
  );
}

void describe('HTTPS with a generated development certificate', () => {
  let directory: string;
  let emulator: StartedEmulator;
  let ca: Buffer;
  let agent: Agent;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'emulator-tls-'));
    emulator = await startEmulator({ tls: { selfSigned: true, directory }, allowUnverifiedEntraTokens: true });
    ca = await readFile(emulator.certFile ?? '');
    agent = new Agent({ ca, keepAlive: true });
  });
  after(async () => {
    agent.destroy();
    await emulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  void it('serves https:// and wss:// with a certificate for localhost, 127.0.0.1 and ::1, kept for the next start', async () => {
    assert.equal(emulator.endpoint, `https://localhost:${emulator.port}`);
    assert.match(emulator.connectionString, /^Endpoint=https:\/\/localhost:\d+;/);
    assert.equal(emulator.certFile, join(directory, 'localhost-cert.pem'));
    const certificate = new X509Certificate(ca);
    assert.equal(certificate.checkHost('localhost'), 'localhost');
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(certificate.checkIP('::1'), '::1');
    assert.equal((await stat(join(directory, 'localhost-key.pem'))).mode & 0o777, 0o600);
    assert.equal(await status(emulator, ca, '/api/health'), 200);

    const again = await startEmulator({ tls: { selfSigned: true, directory } });
    try {
      assert.equal(again.certFile, emulator.certFile);
      assert.deepEqual(await readFile(again.certFile ?? ''), ca, 'the certificate is reused, not made again');
    } finally {
      await again.close();
    }
  });

  void it('is refused by clients that do not trust it', async () => {
    const service = new WebPubSubServiceClient(emulator.connectionString, HUB);
    await assert.rejects(service.sendToAll('x', { contentType: 'text/plain' }), /self[- ]signed/i);
  });

  void it('works with @azure/web-pubsub without allowInsecureConnection, tokens and client URLs included', async () => {
    const service = new WebPubSubServiceClient(emulator.connectionString, HUB, trusting(agent));
    await service.sendToAll({ hello: 'tls' });
    assert.equal(await service.connectionExists('nobody'), false);
    const { url, baseUrl } = await service.getClientAccessToken({ userId: 'u1' });
    assert.equal(baseUrl, `wss://localhost:${emulator.port}/client/hubs/${HUB}`);
    const connected = await firstFrame(url, ca);
    assert.deepEqual([connected.type, connected.event, connected.userId], ['system', 'connected', 'u1']);
  });

  void it('works with both SDKs in a process that trusts it through NODE_EXTRA_CA_CERTS, keyless included', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [SDK_SCRIPT],
        {
          timeout: 30_000,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.certFile, EMULATOR_ENDPOINT: emulator.endpoint, EMULATOR_ACCESS_KEY: emulator.accessKey, EMULATOR_HUB: HUB },
        },
        (error, stdout, stderr) => {
          if (error === null) resolve(stdout);
          else reject(new Error(`${error.message}\n${stderr}`));
        },
      );
    });
    const result = JSON.parse(output.trim().split('\n').at(-1) ?? '');
    assert.deepEqual(result, {
      keyedMessage: 'over tls',
      keyedUserId: 'keyed',
      entraBaseUrl: `wss://localhost:${emulator.port}/client/hubs/${HUB}`,
      entraMessage: { from: 'entra' },
      entraUserId: 'keyless',
      entraScopes: result.entraScopes,
      exists: true,
    });
    assert.ok(result.entraScopes.every((scope: string) => scope === 'https://webpubsub.azure.com/.default'), result.entraScopes.join());
  });

  void describe('keyless (Entra ID) REST, signature not verified', () => {
    void it('accepts a TokenCredential: sends, checks and :generateToken answer, and the token connects', async () => {
      const credential = fakeEntraCredential();
      const service = new WebPubSubServiceClient(emulator.endpoint, credential, HUB, trusting(agent));
      await service.sendToAll('keyless', { contentType: 'text/plain' });
      assert.equal(await service.groupExists('none'), false);
      const { url, token } = await service.getClientAccessToken({ userId: 'entra-user', roles: ['webpubsub.joinLeaveGroup'], groups: ['g'] });
      assert.ok(credential.scopes.length > 0);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      assert.equal(claims.aud, `https://localhost:${emulator.port}/client/hubs/${HUB}`);
      assert.deepEqual(claims['webpubsub.group'], ['g']);
      const connected = await firstFrame(url, ca);
      assert.deepEqual([connected.event, connected.userId], ['connected', 'entra-user']);
    });

    void it('accepts the audience with a trailing slash or /.default, and refuses another audience or an expired token with 401', async () => {
      const path = `/api/hubs/${HUB}/connections/c1`;
      assert.equal(await status(emulator, ca, path, fakeEntraToken({ aud: 'https://webpubsub.azure.com/' })), 404);
      assert.equal(await status(emulator, ca, path, fakeEntraToken({ aud: ['https://webpubsub.azure.com/.default'] })), 404);
      assert.equal(await status(emulator, ca, path, fakeEntraToken({ aud: 'https://management.azure.com' })), 401);
      assert.equal(await status(emulator, ca, path, fakeEntraToken({ exp: Math.floor(Date.now() / 1000) - 3600 })), 401);
      assert.equal(await status(emulator, ca, path, fakeEntraToken({ exp: undefined })), 401);
      assert.equal(await status(emulator, ca, path, fakeEntraToken({ nbf: Math.floor(Date.now() / 1000) + 3600 })), 401);
      const wrongAudience = new WebPubSubServiceClient(emulator.endpoint, fakeEntraCredential({ aud: 'api://someone-else' }), HUB, trusting(agent));
      await assert.rejects(wrongAudience.sendToAll('x', { contentType: 'text/plain' }), (error: { statusCode?: number }) => error.statusCode === 401);
    });
  });
});

void describe('keyless (Entra ID) REST with the mode off', () => {
  let directory: string;
  let emulator: StartedEmulator;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'emulator-tls-'));
    emulator = await startEmulator({ tls: { selfSigned: true, directory } });
  });
  after(async () => {
    await emulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  void it('refuses Entra ID tokens with 401, :generateToken included', async () => {
    const agent = new Agent({ ca: await readFile(emulator.certFile ?? '') });
    try {
      const service = new WebPubSubServiceClient(emulator.endpoint, fakeEntraCredential(), HUB, trusting(agent));
      const isUnauthorized = (error: { statusCode?: number }): boolean => error.statusCode === 401;
      await assert.rejects(service.sendToAll('x', { contentType: 'text/plain' }), isUnauthorized);
      await assert.rejects(service.getClientAccessToken({ userId: 'u' }), isUnauthorized);
    } finally {
      agent.destroy();
    }
  });
});

void describe('HTTPS without openssl', () => {
  void it('stops the start with a message that says what to do', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'emulator-tls-'));
    const path = process.env.PATH;
    process.env.PATH = directory;
    try {
      await assert.rejects(startEmulator({ tls: { selfSigned: true, directory } }), /openssl was not found on PATH.*--tls-cert and --tls-key/);
    } finally {
      process.env.PATH = path;
      await rm(directory, { recursive: true, force: true });
    }
  });
});

void describe('HTTPS with a certificate of your own', () => {
  void it('refuses a missing or mismatched certificate at start, naming the file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'emulator-tls-'));
    try {
      await assert.rejects(startEmulator({ tls: { certFile: join(directory, 'nope.pem'), keyFile: join(directory, 'nope-key.pem') } }), /nope\.pem.*no such file/);
      const first = await startEmulator({ tls: { selfSigned: true, directory: join(directory, 'a') } });
      const second = await startEmulator({ tls: { selfSigned: true, directory: join(directory, 'b') } });
      await Promise.all([first.close(), second.close()]);
      await assert.rejects(
        startEmulator({ tls: { certFile: join(directory, 'a', 'localhost-cert.pem'), keyFile: join(directory, 'b', 'localhost-key.pem') } }),
        /does not belong to the certificate/,
      );
      const own = await startEmulator({ tls: { certFile: join(directory, 'a', 'localhost-cert.pem'), keyFile: join(directory, 'a', 'localhost-key.pem') } });
      try {
        assert.equal(await status(own, await readFile(join(directory, 'a', 'localhost-cert.pem')), '/api/health'), 200);
      } finally {
        await own.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
