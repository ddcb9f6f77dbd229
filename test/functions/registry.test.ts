import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HANDLED_SYSTEM_EVENTS, HANDLED_USER_EVENTS } from '../../src/functions/eventHandler.js';
import { functions } from '../../src/functions/index.js';

const root = new URL('../../../', import.meta.url);

void describe('function registry', () => {
  void it('lists negotiate, eventhandler and the page with their routes and methods', () => {
    assert.deepEqual(
      functions.map(({ name, route, methods, authLevel }) => ({ name, route, methods: [...methods], authLevel })),
      [
        { name: 'negotiate', route: 'negotiate', methods: ['GET'], authLevel: 'anonymous' },
        { name: 'eventhandler', route: 'eventhandler', methods: ['OPTIONS', 'POST'], authLevel: 'anonymous' },
        { name: 'page', route: '{*path}', methods: ['GET'], authLevel: 'anonymous' },
      ],
    );
    for (const descriptor of functions) assert.equal(typeof descriptor.handler, 'function');
    assert.ok(Object.isFrozen(functions));
  });

  void it('uses no route reserved by the Functions host', () => {
    for (const { route } of functions) assert.doesNotMatch(route, /^\/?(admin|runtime)(\/|$)/i, route);
  });

  void it('declares the events the hub must send', () => {
    assert.deepEqual(HANDLED_SYSTEM_EVENTS, ['connect', 'connected', 'disconnected']);
    assert.deepEqual(HANDLED_USER_EVENTS, ['message']);
  });

  void it('is served at the root: host.json has routePrefix "" and no extension bundle', () => {
    const host = JSON.parse(readFileSync(new URL('host.json', root), 'utf8'));
    assert.equal(host.version, '2.0');
    assert.equal(host.extensions.http.routePrefix, '');
    assert.equal(host.extensionBundle, undefined);
  });
});
