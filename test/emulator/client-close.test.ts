import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { clientToken, nowSeconds } from '../helpers/clientTokens.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { openRawClient, type RawClient } from '../helpers/rawClient.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recordingUpstream.js';
import { Inbox } from '../helpers/waitFor.js';

const HUB = 'closing';
const RELIABLE = 'json.reliable.webpubsub.azure.v1';

/**
 * Which client close codes end a reliable session at once: 1000 and 1001 (a browser tab going
 * away) do; a close frame without a code (1005, what `WebPubSubClient.stop()` and its keep-alive
 * timeout send) leaves it recoverable.
 */
void describe('reliable sessions: client close codes', () => {
  let emulator: StartedEmulator;
  let upstream: RecordingUpstream;

  before(async () => {
    upstream = await startRecordingUpstream();
    emulator = await startEmulator({
      recoveryWindowMs: 600,
      hubs: { [HUB]: { eventHandlers: [{ urlTemplate: upstream.urlTemplate, systemEvents: ['connected', 'disconnected'] }] } },
    });
  });
  after(async () => {
    await emulator.close();
    await upstream.close();
  });

  const base = (): string => `ws://localhost:${emulator.port}/client/hubs/${HUB}`;
  async function connect(): Promise<RawClient & { connectionId: string; reconnectionToken: string }> {
    const client = await openRawClient(`${base()}?access_token=${clientToken(emulator.endpoint, HUB, emulator.accessKey)}`, { protocols: RELIABLE });
    const connected = await client.next((frame) => frame.event === 'connected', 'connected');
    return Object.assign(client, { connectionId: connected.connectionId as string, reconnectionToken: connected.reconnectionToken as string });
  }
  const recoveryUrl = (connectionId: string, token: string): string =>
    `${base()}?access_token=${clientToken(emulator.endpoint, HUB, emulator.accessKey, { exp: nowSeconds() - 60 })}&awps_connection_id=${encodeURIComponent(connectionId)}&awps_reconnection_token=${encodeURIComponent(token)}`;
  const disconnectedOf = async (connectionId: string): Promise<string> =>
    JSON.parse((await upstream.requests.next((request) => request.event === 'disconnected' && request.connectionId === connectionId, `disconnected of ${connectionId}`)).body.toString('utf8')).reason;

  void it('1001 ends the session at once: disconnected goes upstream and recovery is refused', async () => {
    const client = await connect();
    const started = Date.now();
    await client.close(1001, 'tab closed');
    assert.equal(await disconnectedOf(client.connectionId), 'tab closed');
    assert.ok(Date.now() - started < 600, 'without waiting for the recovery window');
    assert.equal(emulator.hubs.get(HUB).connectionExists(client.connectionId), false);
    const late = await openRawClient(recoveryUrl(client.connectionId, client.reconnectionToken), { protocols: RELIABLE });
    assert.equal((await late.closed).code, 1008);
  });

  void it('a close frame without a code (1005) keeps the session for recovery', async () => {
    const client = await connect();
    client.ws.close();
    assert.equal((await client.closed).code, 1005);
    let recovered: RawClient | undefined;
    while (recovered === undefined) {
      const attempt = await openRawClient(recoveryUrl(client.connectionId, client.reconnectionToken), { protocols: RELIABLE });
      attempt.send({ type: 'ping' });
      // An attempt that races the server's view of the old socket is refused as still connected.
      const outcome = await Promise.race([attempt.closed, attempt.next((frame) => frame.type === 'pong', 'pong', 2_000)]);
      if ('code' in outcome) assert.match(outcome.reason as string, /still connected/);
      else recovered = attempt;
    }
    assert.equal(upstream.count('disconnected', client.connectionId), 0);
    await recovered.close(1000);
    assert.equal(await disconnectedOf(client.connectionId), 'The client closed the connection.');
  });

  void it('WebPubSubClient.stop() sends no code, so the session ends only when the recovery window passes', async () => {
    const service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
    // Keep-alive off: its check timer (every 40 s) outlives stop() and would hold the test process.
    const client = new WebPubSubClient(
      { getClientAccessUrl: async () => (await service.getClientAccessToken()).url },
      { keepAliveIntervalInMs: 0, keepAliveTimeoutInMs: 0 },
    );
    const connected = new Inbox<string>();
    const stopped = new Inbox<true>();
    client.on('connected', (event) => {
      connected.push(event.connectionId);
    });
    client.on('stopped', () => {
      stopped.push(true);
    });
    await client.start();
    const connectionId = await connected.next(() => true, 'connected');
    client.stop();
    await stopped.next(() => true, 'stopped');
    assert.match(await disconnectedOf(connectionId), /not recovered in time/);
  });
});
