/**
 * The dispatcher against `@azure/web-pubsub-express` (the SDK's event handler): its handlers must
 * receive what the client presented, and what they answer must come back as the right outcome.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ConnectRequest as ExpressConnectRequest, DisconnectedRequest, UserEventRequest, WebPubSubEventHandlerOptions } from '@azure/web-pubsub-express';
import { createEventDispatcher } from '../../emulator/events/index.js';
import { PRIMARY_KEY, SECONDARY_KEY, capturingLogger, connectRequest, connection, handler, testConfig, waitUntil } from './events-fixtures.js';
import { startExpressUpstream, utf8FromHeader } from './upstream-fixtures.js';

async function setup(t: TestContext, options: WebPubSubEventHandlerOptions, port?: number) {
  const upstream = await startExpressUpstream('chat', options);
  const log = capturingLogger();
  const dispatcher = createEventDispatcher({
    config: testConfig({ hubs: { Chat: [handler(upstream.urlTemplate)] }, accessKeys: [PRIMARY_KEY, SECONDARY_KEY], port: 0 }),
    log,
    ...(port === undefined ? {} : { port: () => port }),
  });
  t.after(async () => {
    await dispatcher.close();
    await upstream.close();
  });
  return { upstream, dispatcher, log };
}

void describe('@azure/web-pubsub-express as the upstream', () => {
  void it('handleConnect receives the request and its answer becomes the outcome', async (t) => {
    let received: ExpressConnectRequest | undefined;
    const { dispatcher } = await setup(t, {
      handleConnect(req, res) {
        received = req;
        res.success({ userId: 'bob', groups: ['room1'], roles: ['webpubsub.sendToGroup.room1'], subprotocol: 'json.webpubsub.azure.v1' });
      },
    });
    const conn = connection({ hub: 'Chat', userId: 'alice', subprotocol: undefined });
    const outcome = await dispatcher.connect(conn, connectRequest({ subprotocols: ['json.webpubsub.azure.v1', 'protobuf.webpubsub.azure.v1'] }));
    assert.deepEqual(outcome, {
      kind: 'accepted',
      userId: 'bob',
      groups: ['room1'],
      roles: ['webpubsub.sendToGroup.room1'],
      subprotocol: 'json.webpubsub.azure.v1',
    });
    assert.ok(received);
    assert.equal(received.context.userId, 'alice');
    assert.equal(received.context.connectionId, conn.connectionId);
    assert.equal(received.context.hub, 'chat');
    assert.equal(received.context.eventName, 'connect');
    assert.equal(received.context.origin, 'localhost');
    assert.equal(received.context.signature.split(',').length, 2);
    assert.deepEqual(received.claims, { sub: ['alice'], role: ['webpubsub.joinLeaveGroup'] });
    assert.deepEqual(received.queries, { room: ['lobby'] });
    assert.deepEqual(received.headers, { 'User-Agent': ['test'], Cookie: ['a=b'] });
    assert.deepEqual(received.subprotocols, ['json.webpubsub.azure.v1', 'protobuf.webpubsub.azure.v1']);
    assert.deepEqual(received.clientCertificates, []);
  });

  void it('res.fail(401) rejects with 401; an app without handleConnect accepts', async (t) => {
    const { dispatcher } = await setup(t, {
      handleConnect(_req, res) {
        res.fail(401, 'who are you?');
      },
    });
    const outcome = await dispatcher.connect(connection(), connectRequest());
    assert.equal(outcome.kind, 'rejected');
    assert.equal(outcome.kind === 'rejected' ? outcome.status : 0, 401);

    const { dispatcher: plain } = await setup(t, {});
    assert.deepEqual(await plain.connect(connection(), connectRequest()), { kind: 'accepted' });
  });

  void it('connection state set in connect and user events reaches later events (context.states)', async (t) => {
    const seen: Record<string, unknown>[] = [];
    const { dispatcher } = await setup(t, {
      handleConnect(_req, res) {
        res.setState('nickname', 'al');
        res.success();
      },
      handleUserEvent(req, res) {
        seen.push({ ...req.context.states });
        res.setState('count', Number(req.context.states.count ?? 0) + 1);
        res.success();
      },
    });
    const conn = connection();
    await dispatcher.connect(conn, connectRequest());
    assert.ok(conn.connectionState !== undefined);
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('1') });
    await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('2') });
    assert.deepEqual(seen, [{ nickname: 'al' }, { nickname: 'al', count: 1 }]);
  });

  void it('user events arrive with their data type and replies come back typed', async (t) => {
    const received: { dataType: string; data: unknown; eventName: string; userId: string | undefined }[] = [];
    const { dispatcher } = await setup(t, {
      handleUserEvent(req: UserEventRequest, res) {
        received.push({ dataType: req.dataType, data: req.data, eventName: req.context.eventName, userId: req.context.userId });
        if (req.dataType === 'text') res.success(`echo ${req.data}`, 'text');
        else if (req.dataType === 'json') res.success(JSON.stringify({ echo: req.data }), 'json');
        else res.success(req.data, 'binary');
      },
    });
    const conn = connection({ userId: 'alice' });
    const text = await dispatcher.userEvent(conn, 'message', { dataType: 'text', data: Buffer.from('hi') });
    const json = await dispatcher.userEvent(conn, 'chat.send', { dataType: 'json', data: Buffer.from('{"n":1}') });
    const binary = await dispatcher.userEvent(conn, 'upload', { dataType: 'binary', data: Buffer.from([0, 255, 7]) });
    assert.deepEqual(text, { kind: 'ok', reply: { dataType: 'text', data: Buffer.from('echo hi') } });
    assert.deepEqual(json, { kind: 'ok', reply: { dataType: 'json', data: Buffer.from('{"echo":{"n":1}}') } });
    assert.deepEqual(binary, { kind: 'ok', reply: { dataType: 'binary', data: Buffer.from([0, 255, 7]) } });
    assert.deepEqual(received.map(({ dataType, eventName, userId }) => ({ dataType, eventName, userId })), [
      { dataType: 'text', eventName: 'message', userId: 'alice' },
      { dataType: 'json', eventName: 'chat.send', userId: 'alice' },
      { dataType: 'binary', eventName: 'upload', userId: 'alice' },
    ]);
    assert.equal(received[0]?.data, 'hi');
    assert.deepEqual(received[1]?.data, { n: 1 });
    assert.deepEqual(Buffer.from(received[2]?.data as Buffer), Buffer.from([0, 255, 7]));
  });

  void it('res.success() is no reply and res.fail(500) fails the event', async (t) => {
    const { dispatcher } = await setup(t, {
      handleUserEvent(req, res) {
        if (req.context.eventName === 'quiet') res.success();
        else res.fail(500, 'internal detail');
      },
    });
    assert.deepEqual(await dispatcher.userEvent(connection(), 'quiet', { dataType: 'text', data: Buffer.from('x') }), { kind: 'ok' });
    const failed = await dispatcher.userEvent(connection(), 'loud', { dataType: 'text', data: Buffer.from('x') });
    assert.equal(failed.kind, 'failed');
    assert.doesNotMatch(failed.kind === 'failed' ? failed.reason : '', /internal detail/);
  });

  void it('onConnected and onDisconnected receive the connection and the reason', async (t) => {
    const connected: string[] = [];
    const disconnected: DisconnectedRequest[] = [];
    const { dispatcher } = await setup(t, {
      onConnected(req) {
        connected.push(req.context.connectionId);
      },
      onDisconnected(req) {
        disconnected.push(req);
      },
    });
    const conn = connection();
    dispatcher.connected(conn);
    dispatcher.disconnected(conn, 'Closed by the client');
    await waitUntil(() => disconnected.length === 1, 'onDisconnected');
    assert.deepEqual(connected, [conn.connectionId]);
    assert.equal(disconnected[0]?.reason, 'Closed by the client');
    assert.equal(disconnected[0]?.context.connectionId, conn.connectionId);
  });

  void it('a non-ASCII user id reaches context.userId as its UTF-8 bytes', async (t) => {
    let userId: string | undefined;
    const { dispatcher } = await setup(t, {
      handleConnect(req, res) {
        userId = req.context.userId;
        res.success();
      },
    });
    await dispatcher.connect(connection({ userId: '用户' }), connectRequest());
    assert.equal(utf8FromHeader(userId), '用户');
  });

  void it('allowedEndpoints: the emulator endpoint passes validation, another one fails it', async (t) => {
    const { dispatcher } = await setup(t, { allowedEndpoints: ['http://localhost:8080'] }, 8080);
    assert.deepEqual(await dispatcher.connect(connection(), connectRequest()), { kind: 'accepted' });

    const { upstream, dispatcher: refused } = await setup(t, { allowedEndpoints: ['https://elsewhere.webpubsub.azure.com'] }, 8080);
    const outcome = await refused.connect(connection(), connectRequest());
    assert.equal(outcome.kind === 'rejected' ? outcome.status : outcome.kind, 500);
    assert.deepEqual(upstream.methods, ['OPTIONS']);
  });
});
