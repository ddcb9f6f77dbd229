/**
 * Run as a child process by the HTTPS tests, with `NODE_EXTRA_CA_CERTS` naming the emulator's
 * certificate: the official SDKs, configured as a user would for an https:// endpoint (no
 * `allowInsecureConnection`, no custom agent), talk to the emulator; prints one JSON line with
 * what they saw. Input: EMULATOR_ENDPOINT, EMULATOR_ACCESS_KEY, EMULATOR_HUB.
 */
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { fakeEntraCredential } from './entraTokens.js';

const endpoint = process.env.EMULATOR_ENDPOINT ?? '';
const hub = process.env.EMULATOR_HUB ?? '';
const connectionString = `Endpoint=${endpoint};AccessKey=${process.env.EMULATOR_ACCESS_KEY ?? ''};Version=1.0;`;
const roles = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];

/** Starts a client on `url`, joins `group` and resolves with the first group message's data. */
async function listen(url: string, group: string): Promise<{ client: WebPubSubClient; message: Promise<unknown>; userId: string | undefined }> {
  // Keep-alive off: its timers would outlive stop() and hold this process open.
  const client = new WebPubSubClient(url, { keepAliveIntervalInMs: 0, keepAliveTimeoutInMs: 0 });
  const message = new Promise<unknown>((resolve) => {
    client.on('group-message', (event) => {
      resolve(event.message.data);
    });
  });
  let userId: string | undefined;
  client.on('connected', (event) => {
    userId = event.userId;
  });
  await client.start();
  await client.joinGroup(group);
  return { client, message, userId };
}

const withKey = new WebPubSubServiceClient(connectionString, hub);
const keyed = await listen((await withKey.getClientAccessToken({ userId: 'keyed', roles })).url, 'tls');
await withKey.group('tls').sendToAll('over tls', { contentType: 'text/plain' });

const credential = fakeEntraCredential();
const keyless = new WebPubSubServiceClient(endpoint, credential, hub);
const access = await keyless.getClientAccessToken({ userId: 'keyless', roles });
const viaEntra = await listen(access.url, 'entra');
await keyless.group('entra').sendToAll({ from: 'entra' });
const exists = await keyless.userExists('keyless');

const result = {
  keyedMessage: await keyed.message,
  keyedUserId: keyed.userId,
  entraBaseUrl: access.baseUrl,
  entraMessage: await viaEntra.message,
  entraUserId: viaEntra.userId,
  entraScopes: credential.scopes,
  exists,
};
keyed.client.stop();
viaEntra.client.stop();
process.stdout.write(`${JSON.stringify(result)}\n`);
