/**
 * End to end: official clients (`@azure/web-pubsub-client`, raw `ws`) connect to the running
 * emulator, whose event handler is an `@azure/web-pubsub-express` app. What the handlers receive
 * and what they answer is checked from both ends.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { WebPubSubClient, SendMessageError, type OnServerDataMessageArgs } from '@azure/web-pubsub-client';
import type {
  ConnectRequest as ExpressConnectRequest,
  ConnectedRequest,
  DisconnectedRequest,
  UserEventRequest,
  WebPubSubEventHandlerOptions,
} from '@azure/web-pubsub-express';
import { startEmulator, type StartEmulatorOptions } from '../helpers/emulator.js';
import { waitUntil } from './events-fixtures.js';
import { clientAccessUrl, handshakeStatus, openRawClient, startExpressUpstream, utf8FromHeader, type ExpressUpstream } from './upstream-fixtures.js';

const HUB = 'chat';

async function setup(t: TestContext, options: WebPubSubEventHandlerOptions, emulatorOptions: StartEmulatorOptions = {}) {
  const upstream = await startExpressUpstream(HUB, options);
  const emulator = await startEmulator({
    hubs: {
      [HUB]: {
        eventHandlers: [{ urlTemplate: upstream.urlTemplate, userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] }],
        anonymousConnectPolicy: 'allow',
      },
    },
    ...emulatorOptions,
  });
  const clients: WebPubSubClient[] = [];
  t.after(async () => {
    // Clients first: a reliable client that sees the emulator go away would try to recover.
    for (const client of clients) client.stop();
    await emulator.close();
    await upstream.close();
  });
  const urlFor = (options: { userId?: string; roles?: string[]; groups?: string[] } = {}) => clientAccessUrl(emulator.connectionString, HUB, options);
  /** An official client, stopped when the test ends. */
  const officialClient = (url: string): WebPubSubClient => {
    const client = new WebPubSubClient(url, CLIENT_OPTIONS);
    clients.push(client);
    return client;
  };
  return { upstream, emulator, urlFor, officialClient };
}

/**
 * No reconnects or message retries (a failure must show), and no keep-alive tasks: the SDK's
 * task timers cannot be cancelled and would keep the test process alive for their interval.
 */
const CLIENT_OPTIONS = {
  autoReconnect: false,
  messageRetryOptions: { maxRetries: 0 },
  keepAliveIntervalInMs: 0,
  keepAliveTimeoutInMs: 0,
};

void describe('upstream end to end with @azure/web-pubsub-express', () => {
  void it('connect: the handler sees token, query and headers; its userId, groups and roles reach the client', async (t) => {
    let connect: ExpressConnectRequest | undefined;
    const connected: ConnectedRequest[] = [];
    const disconnected: DisconnectedRequest[] = [];
    const { urlFor, officialClient } = await setup(t, {
      handleConnect(req, res) {
        connect = req;
        res.success({ userId: 'bob', groups: ['room'], roles: ['webpubsub.sendToGroup.room'] });
      },
      onConnected: (req) => connected.push(req),
      onDisconnected: (req) => disconnected.push(req),
    }, { recoveryWindowMs: 100 });
    const url = `${await urlFor({ userId: 'alice' })}&nick=al`;
    const client = officialClient(url);
    const groupMessages: unknown[] = [];
    client.on('group-message', (event) => groupMessages.push(event.message.data));
    let clientUserId: string | undefined;
    let connectionId = '';
    client.on('connected', (event) => {
      clientUserId = event.userId;
      connectionId = event.connectionId;
    });
    await client.start();

    assert.equal(clientUserId, 'bob');
    assert.ok(connect);
    assert.equal(connect.context.userId, 'alice');
    assert.equal(connect.context.connectionId, connectionId);
    assert.equal(connect.context.hub, HUB);
    assert.equal(connect.context.origin, 'localhost');
    assert.deepEqual(connect.claims?.sub, ['alice']);
    assert.deepEqual(connect.queries?.nick, ['al']);
    assert.equal(connect.queries?.access_token, undefined);
    const headerNames = Object.keys(connect.headers ?? {}).map((name) => name.toLowerCase());
    assert.ok(headerNames.includes('sec-websocket-version'), headerNames.join());
    assert.ok(!headerNames.includes('authorization'));
    assert.deepEqual(connect.subprotocols, ['json.reliable.webpubsub.azure.v1']);

    // The groups and roles the handler returned are in force: the client may publish to `room` and is in it.
    await client.sendToGroup('room', 'hello room', 'text');
    await waitUntil(() => groupMessages.length === 1, 'the group message');
    assert.deepEqual(groupMessages, ['hello room']);

    await waitUntil(() => connected.length === 1, 'onConnected');
    assert.equal(connected[0]?.context.connectionId, connectionId);
    assert.equal(connected[0]?.context.userId, 'bob');
    // The SDK's stop() closes without a status code, which a reliable session survives for the
    // recovery window (shortened here); `disconnected` follows once the session really ends.
    client.stop();
    await waitUntil(() => disconnected.length === 1, 'onDisconnected');
    assert.equal(disconnected[0]?.context.connectionId, connectionId);
    assert.equal(typeof disconnected[0]?.reason, 'string');
  });

  void it('anonymous connect: the handler assigns the user id', async (t) => {
    const { emulator, officialClient } = await setup(t, {
      handleConnect(req, res) {
        res.success({ userId: `guest-${req.queries?.id?.[0] ?? ''}` });
      },
    });
    const client = officialClient(`${emulator.endpoint.replace('http', 'ws')}/client/hubs/${HUB}?id=42`);
    let userId: string | undefined;
    client.on('connected', (event) => {
      userId = event.userId;
    });
    await client.start();
    assert.equal(userId, 'guest-42');
  });

  void it('connect refused with 401: the handshake fails with 401 and no connected/disconnected follows', async (t) => {
    const events: string[] = [];
    const { urlFor } = await setup(t, {
      handleConnect(req, res) {
        if (req.context.userId === 'mallory') res.fail(401, 'no');
        else res.success();
      },
      onConnected: (req) => events.push(`connected ${req.context.userId ?? ''}`),
      onDisconnected: (req) => events.push(`disconnected ${req.context.userId ?? ''}`),
    });
    assert.equal(await handshakeStatus(await urlFor({ userId: 'mallory' })), 401);
    // Barrier: a legitimate connection's whole life is seen upstream after the refused one.
    assert.equal(await handshakeStatus(await urlFor({ userId: 'alice' })), 101);
    await waitUntil(() => events.includes('disconnected alice'), 'the barrier connection to end');
    assert.deepEqual(events, ['connected alice', 'disconnected alice']);
  });

  void it('JSON client events in each data type reach the handler; replies arrive before the ack', async (t) => {
    const received: { eventName: string; dataType: string; data: unknown }[] = [];
    const { urlFor, officialClient } = await setup(t, {
      handleUserEvent(req: UserEventRequest, res) {
        received.push({ eventName: req.context.eventName, dataType: req.dataType, data: req.data });
        if (req.dataType === 'text') res.success(`echo ${req.data}`, 'text');
        else if (req.dataType === 'json') res.success(JSON.stringify({ echo: req.data }), 'json');
        else res.success(req.data, 'binary');
      },
    });
    const client = officialClient(await urlFor({ userId: 'alice' }));
    const order: string[] = [];
    const replies: OnServerDataMessageArgs['message'][] = [];
    client.on('server-message', (event) => {
      order.push('message');
      replies.push(event.message);
    });
    await client.start();

    await client.sendEvent('echo', 'hi', 'text');
    order.push('ack');
    await client.sendEvent('echo.json', { a: [1, 2] }, 'json');
    order.push('ack');
    await client.sendEvent('echo-bin', new Uint8Array([0, 1, 255]).buffer, 'binary');
    order.push('ack');

    assert.deepEqual(order, ['message', 'ack', 'message', 'ack', 'message', 'ack']);
    assert.deepEqual(received.slice(0, 2), [
      { eventName: 'echo', dataType: 'text', data: 'hi' },
      { eventName: 'echo.json', dataType: 'json', data: { a: [1, 2] } },
    ]);
    assert.equal(received[2]?.dataType, 'binary');
    assert.deepEqual([...new Uint8Array(received[2]?.data as ArrayBuffer)], [0, 1, 255]);
    assert.deepEqual(replies.map((reply) => reply.dataType), ['text', 'json', 'binary']);
    assert.equal(replies[0]?.data, 'echo hi');
    assert.deepEqual(replies[1]?.data, { echo: { a: [1, 2] } });
    assert.deepEqual([...new Uint8Array(replies[2]?.data as ArrayBuffer)], [0, 1, 255]);
  });

  void it('a failing handler: the JSON client gets an InternalServerError ack and stays connected', async (t) => {
    const { urlFor, officialClient } = await setup(t, {
      handleUserEvent(req, res) {
        if (req.context.eventName === 'bad') res.fail(500, 'secret detail');
        else res.success();
      },
    });
    const client = officialClient(await urlFor({ userId: 'alice' }));
    let disconnects = 0;
    client.on('disconnected', () => disconnects++);
    await client.start();
    const error = await client.sendEvent('bad', 'x', 'text').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof SendMessageError);
    assert.equal(error.errorDetail?.name, 'InternalServerError');
    assert.doesNotMatch(error.errorDetail?.message ?? '', /secret detail/);
    await client.sendEvent('good', 'x', 'text');
    assert.equal(disconnects, 0);
  });

  void it('connection state: setState in connect and events is what context.states shows next time', async (t) => {
    const seen: Record<string, unknown>[] = [];
    const { urlFor, officialClient } = await setup(t, {
      handleConnect(_req, res) {
        res.setState('nick', 'al');
        res.success();
      },
      handleUserEvent(req, res) {
        seen.push({ ...req.context.states });
        res.setState('count', Number(req.context.states.count ?? 0) + 1);
        res.success();
      },
    });
    const client = officialClient(await urlFor({ userId: 'alice' }));
    await client.start();
    await client.sendEvent('tick', 'x', 'text');
    await client.sendEvent('tick', 'x', 'text');
    assert.deepEqual(seen, [{ nick: 'al' }, { nick: 'al', count: 1 }]);
  });

  void it('raw client: frames become `message` events, replies come back as frames, a failure closes 1011', async (t) => {
    const received: { dataType: string; data: unknown }[] = [];
    const { urlFor } = await setup(t, {
      handleUserEvent(req, res) {
        received.push({ dataType: req.dataType, data: req.data });
        if (req.dataType === 'text' && req.data === 'fail') res.fail(500);
        else if (req.dataType === 'text') res.success(`re: ${req.data}`, 'text');
        else res.success(req.data as ArrayBuffer, 'binary');
      },
    });
    const client = await openRawClient(await urlFor({ userId: 'alice' }));
    t.after(() => {
      client.socket.terminate();
    });
    client.socket.send('hello');
    assert.deepEqual(await client.nextFrame(), { data: Buffer.from('re: hello'), binary: false });
    client.socket.send(Buffer.from([9, 8, 7]));
    assert.deepEqual(await client.nextFrame(), { data: Buffer.from([9, 8, 7]), binary: true });
    client.socket.send('fail');
    const { code } = await client.closed;
    assert.equal(code, 1011);
    // A 500 is retried (after 50, 100 and 200 ms with the test timings) before the event fails.
    assert.deepEqual(received.map((event) => event.data), ['hello', received[1]?.data, 'fail', 'fail', 'fail', 'fail']);
    assert.equal(received[1]?.dataType, 'binary');
  });

  void it('allowedEndpoints naming the emulator passes validation; naming another service fails the connect', async (t) => {
    const { upstream, emulator, urlFor, officialClient } = await setup(t, {});
    upstream.use({ allowedEndpoints: [emulator.endpoint], handleConnect: (_req, res) => { res.success({ userId: 'checked' }); } });
    const client = officialClient(await urlFor({ userId: 'alice' }));
    let userId: string | undefined;
    client.on('connected', (event) => {
      userId = event.userId;
    });
    await client.start();
    assert.equal(userId, 'checked');

    const other: ExpressUpstream = await startExpressUpstream(HUB, { allowedEndpoints: ['https://contoso.webpubsub.azure.com'] });
    const refusing = await startEmulator({
      hubs: { [HUB]: { eventHandlers: [{ urlTemplate: other.urlTemplate, userEventPattern: '*', systemEvents: ['connect'] }] } },
    });
    t.after(async () => {
      await refusing.close();
      await other.close();
    });
    assert.equal(await handshakeStatus(await clientAccessUrl(refusing.connectionString, HUB, { userId: 'alice' })), 500);
    assert.deepEqual(other.methods, ['OPTIONS']);
  });

  void it('a non-ASCII user id reaches the handler as UTF-8', async (t) => {
    let userId: string | undefined;
    const { urlFor } = await setup(t, {
      handleConnect(req, res) {
        userId = req.context.userId;
        res.success();
      },
    });
    assert.equal(await handshakeStatus(await urlFor({ userId: 'José 用户' })), 101);
    assert.equal(utf8FromHeader(userId), 'José 用户');
  });
});
