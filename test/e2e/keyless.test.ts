import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { fakeEntraToken } from '../helpers/entraTokens.js';

const APP_SCRIPT = fileURLToPath(new URL('./keylessApp.js', import.meta.url));
const HUB = 'Sample_ChatApp';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const IDENTITY_HEADER = 'local-identity-secret';

interface TokenRequest {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A stand-in for App Service's managed identity endpoint (`IDENTITY_ENDPOINT`): it answers
 * token requests with an unsigned Entra-shaped token for the requested resource.
 */
async function startIdentityEndpoint(): Promise<{ server: Server; url: string; requests: TokenRequest[] }> {
  const requests: TokenRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ url, headers: req.headers });
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    const body = JSON.stringify({
      access_token: fakeEntraToken({ exp: expiresOn }),
      expires_on: String(expiresOn),
      resource: url.searchParams.get('resource'),
      token_type: 'Bearer',
      client_id: url.searchParams.get('client_id'),
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`, requests };
}

void describe('the chat app keyless (WEBPUBSUB_ENDPOINT + DefaultAzureCredential) against the HTTPS emulator', () => {
  let directory: string;
  let emulator: StartedEmulator;
  let identity: Awaited<ReturnType<typeof startIdentityEndpoint>>;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'keyless-'));
    emulator = await startEmulator({ tls: { selfSigned: true, directory }, allowUnverifiedEntraTokens: true });
    identity = await startIdentityEndpoint();
  });
  after(async () => {
    identity.server.close();
    await emulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  void it('negotiates through :generateToken, the client connects, and the broadcast arrives', async () => {
    // Only what the function app has in Azure, plus the endpoint App Service gives managed identities.
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_EXTRA_CA_CERTS: emulator.certFile ?? '',
      WEBPUBSUB_ENDPOINT: emulator.endpoint,
      WEBPUBSUB_HUB: HUB,
      WEBPUBSUB_WEBHOOK_KEY: 'keyless-test-webhook-key',
      AZURE_CLIENT_ID: CLIENT_ID,
      IDENTITY_ENDPOINT: identity.url,
      IDENTITY_HEADER,
    };
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [APP_SCRIPT], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`${error.message}\n${stderr}`));
      });
    });
    const result = JSON.parse(output.trim().split('\n').at(-1) ?? '');
    assert.equal(result.status, 200);
    assert.equal(result.negotiated.userId, 'kim');
    assert.equal(result.negotiated.baseUrl, `wss://localhost:${emulator.port}/client/hubs/${HUB}`);
    assert.deepEqual([result.connected.event, result.connected.userId], ['connected', 'kim']);
    assert.deepEqual(result.broadcast.data, { kind: 'message', from: 'system', message: 'hello keyless', id: 'm1', time: new Date(0).toISOString() });

    assert.ok(identity.requests.length > 0, 'the credential asked the managed identity endpoint');
    for (const request of identity.requests) {
      assert.equal(request.url.searchParams.get('resource'), 'https://webpubsub.azure.com');
      assert.equal(request.url.searchParams.get('client_id'), CLIENT_ID);
      assert.equal(request.headers['x-identity-header'], IDENTITY_HEADER);
    }
  });
});
