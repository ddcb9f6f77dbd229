import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HubClient } from '../../../emulator/hub/client.js';
import { DEFAULT_CLOSE_REASON, createHub } from '../../../emulator/hub/hub.js';
import type { FrameEncoder, OutgoingMessage } from '../../../emulator/hub/outgoing.js';
import { createHubRegistry } from '../../../emulator/hub/registry.js';
import type { OutboundMessage } from '../../../emulator/hub/types.js';

let encodings = 0;
const countingEncoder: FrameEncoder<string> = {
  slot: 0,
  encode: (message) => {
    encodings++;
    return message.data.toString();
  },
};

class FakeClient implements HubClient {
  readonly received: string[] = [];
  readonly closes: string[] = [];
  readonly connectionId: string;
  readonly userId: string | undefined;
  readonly protocol = 'json.webpubsub.azure.v1';
  constructor(connectionId: string, userId?: string) {
    this.connectionId = connectionId;
    this.userId = userId;
  }
  deliver(message: OutgoingMessage): void {
    this.received.push(message.frame(countingEncoder));
  }
  close(reason: string): void {
    this.closes.push(reason);
  }
}

const text = (data: string): OutboundMessage => ({ from: 'server', dataType: 'text', data: Buffer.from(data) });

void describe('hub state', () => {
  void it('encodes a fan-out once per encoder, however many recipients', () => {
    const hub = createHub('chat');
    const clients = Array.from({ length: 100 }, (_, index) => new FakeClient(`c${index}`));
    for (const client of clients) {
      hub.addConnection(client, []);
      hub.addConnectionToGroup('g', client.connectionId);
    }
    encodings = 0;
    hub.sendToGroup('g', text('hello'));
    assert.equal(encodings, 1);
    assert.ok(clients.every((client) => client.received.length === 1 && client.received[0] === 'hello'));
  });

  void it('lists group members in join order, unaffected by rejoining', () => {
    const hub = createHub('chat');
    for (const id of ['a', 'b', 'c']) hub.addConnection(new FakeClient(id, `user-${id}`), []);
    hub.addConnectionToGroup('g', 'b');
    hub.addConnectionToGroup('g', 'a');
    hub.addConnectionToGroup('g', 'c');
    hub.addConnectionToGroup('g', 'b');
    assert.deepEqual(hub.listGroupMembers('g').map((member) => member.connectionId), ['b', 'a', 'c']);
    hub.removeConnectionFromGroup('g', 'a');
    assert.deepEqual(hub.listGroupMembers('g').map((member) => [member.connectionId, member.userId]), [['b', 'user-b'], ['c', 'user-c']]);
  });

  void it('honours excluded connections and filters', () => {
    const hub = createHub('chat');
    const clients = ['a', 'b', 'c'].map((id) => new FakeClient(id, id === 'c' ? 'vip' : undefined));
    for (const client of clients) hub.addConnection(client, []);
    hub.sendToAll(text('1'), { excluded: ['a'] });
    hub.sendToAll(text('2'), { filter: (connection) => connection.userId === 'vip' });
    hub.sendToAll(text('3'), { excluded: Array.from({ length: 20 }, (_, index) => `x${index}`).concat('b') });
    assert.deepEqual(clients.map((client) => client.received), [['3'], ['1'], ['1', '2', '3']]);
  });

  void it('tracks users and groups through joins, leaves and removal', () => {
    const hub = createHub('chat');
    hub.addConnection(new FakeClient('a', 'u'), []);
    hub.addConnection(new FakeClient('b', 'u'), []);
    assert.equal(hub.addUserToGroup('g', 'u'), true);
    assert.equal(hub.addUserToGroup('g', 'nobody'), false);
    assert.equal(hub.listGroupMembers('g').length, 2);
    hub.removeConnection('a');
    assert.equal(hub.userExists('u'), true);
    hub.removeUserFromAllGroups('u');
    assert.equal(hub.groupExists('g'), false);
    hub.removeConnection('b');
    assert.equal(hub.userExists('u'), false);
    assert.equal(hub.connectionCount, 0);
    assert.equal(hub.addConnectionToGroup('g', 'b'), false);
  });

  void it('adds and removes by filter across groups', () => {
    const hub = createHub('chat');
    hub.addConnection(new FakeClient('a', 'x'), []);
    hub.addConnection(new FakeClient('b', 'y'), []);
    hub.addConnectionsToGroups(['g1', 'g2'], (connection) => connection.userId === 'x');
    assert.deepEqual([hub.listGroupMembers('g1').length, hub.listGroupMembers('g2').length], [1, 1]);
    hub.addConnectionsToGroups(['g1']);
    assert.equal(hub.listGroupMembers('g1').length, 2);
    hub.removeConnectionsFromGroups(['g1', 'g2']);
    assert.equal(hub.groupExists('g1') || hub.groupExists('g2'), false);
  });

  void it('closes with the default reason and skips excluded connections', () => {
    const hub = createHub('chat');
    const a = new FakeClient('a', 'u');
    const b = new FakeClient('b', 'u');
    hub.addConnection(a, []);
    hub.addConnection(b, []);
    hub.closeUser('u', { excluded: ['b'] });
    hub.closeConnection('b', 'bye');
    assert.deepEqual([a.closes, b.closes], [[DEFAULT_CLOSE_REASON], ['bye']]);
  });

  void it('answers permission checks for known connections only', () => {
    const hub = createHub('chat');
    hub.addConnection(new FakeClient('a'), ['webpubsub.sendToGroup.g']);
    assert.equal(hub.hasPermission('a', 'sendToGroup', 'g'), true);
    assert.equal(hub.grantPermission('missing', 'sendToGroup', 'g'), false);
    assert.equal(hub.hasPermission('missing', 'sendToGroup', 'g'), false);
  });

  void it('finds hubs case-insensitively and names them in lower case', () => {
    const hubs = createHubRegistry();
    assert.equal(hubs.get('Chat'), hubs.get('CHAT'));
    assert.equal(hubs.get('Chat').name, 'chat');
  });
});
