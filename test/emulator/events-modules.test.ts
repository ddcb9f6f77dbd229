/** The dispatcher's small parts on their own: handler selection, URL templates, header values, cookies, signature. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { cookieHeader, storeCookies } from '../../emulator/events/cookies.js';
import { createHandlerSelector, parseUserEventPattern } from '../../emulator/events/handlerSelection.js';
import { toHeaderValue } from '../../emulator/events/headerValue.js';
import { signConnectionId } from '../../emulator/events/signature.js';
import { compileUrlTemplate } from '../../emulator/events/urlTemplate.js';
import { createEventDispatcher } from '../../emulator/events/index.js';
import { capturingLogger, handler, testConfig } from './events-fixtures.js';

void describe('handler selection', () => {
  const selector = createHandlerSelector(
    testConfig({
      hubs: {
        Chat: [
          handler('http://a.example/{event}', 'message, Typing', ['connect']),
          handler('http://b.example/{event}', '*', ['connect', 'connected', 'disconnected']),
        ],
        quiet: [handler('http://c.example/', '', [])],
      },
      defaultHandlers: [handler('http://default.example/{hub}', 'message', ['disconnected'])],
    }),
  );
  const hostOf = (selected: ReturnType<typeof selector.forUserEvent>): string | undefined =>
    selected === undefined ? undefined : new URL(selected.url.template).host;

  void it('looks hubs up case-insensitively and takes the first handler that matches', () => {
    assert.equal(hostOf(selector.forSystemEvent('chat', 'connect')), 'a.example');
    assert.equal(hostOf(selector.forSystemEvent('chat', 'connected')), 'b.example');
    assert.equal(hostOf(selector.forUserEvent('chat', 'MESSAGE')), 'a.example');
    assert.equal(hostOf(selector.forUserEvent('chat', 'typing')), 'a.example');
    assert.equal(hostOf(selector.forUserEvent('chat', 'other')), 'b.example');
  });

  void it('uses the default hub settings for unknown hubs and selects nothing when nothing matches', () => {
    assert.equal(hostOf(selector.forUserEvent('unknown', 'message')), 'default.example');
    assert.equal(selector.forUserEvent('unknown', 'typing'), undefined);
    assert.equal(selector.forSystemEvent('unknown', 'connect'), undefined);
    assert.equal(selector.forUserEvent('quiet', 'message'), undefined);
    assert.equal(selector.forSystemEvent('quiet', 'connected'), undefined);
  });

  void it('parses user event patterns', () => {
    assert.equal(parseUserEventPattern('*'), 'all');
    assert.equal(parseUserEventPattern('a, *'), 'all');
    assert.deepEqual(parseUserEventPattern(' A ,b,,'), new Set(['a', 'b']));
    assert.deepEqual(parseUserEventPattern(''), new Set());
  });

  void it('stops the start with the setting named when a template is unusable', () => {
    assert.throws(
      () => createEventDispatcher({ config: testConfig({ hubs: { chat: [handler('http://{hub}.example/x')] } }), log: capturingLogger() }),
      /hubs\.chat\.eventHandlers\[0\]\.urlTemplate: .*only after the host/,
    );
  });
});

void describe('URL templates', () => {
  void it('substitutes escaped {hub} and {event} anywhere after the host, query included', () => {
    const template = compileUrlTemplate('https://user:p%40ss@h.example:8443/api/{hub}/x?e={event}&code=k');
    const target = template.expand('chat', 'a b&c');
    assert.equal(target.url, 'https://h.example:8443/api/chat/x?e=a%20b%26c&code=k');
    assert.equal(target.path, '/api/chat/x?e=a%20b%26c&code=k');
    assert.equal(target.protocol, 'https:');
    assert.equal(target.hostname, 'h.example');
    assert.equal(target.port, 8443);
    assert.equal(target.auth, 'user:p@ss');
    assert.equal(template.expand('chat', 'a b&c'), target, 'cached');
  });

  void it('handles placeholders in any case, no path, and IPv6 hosts', () => {
    assert.equal(compileUrlTemplate('http://h.example/{HUB}/{Event}').expand('c', 'e').path, '/c/e');
    assert.equal(compileUrlTemplate('http://h.example').expand('c', 'e').path, '/');
    assert.equal(compileUrlTemplate('http://h.example?x={event}').expand('c', 'e').path, '/?x=e');
    const ipv6 = compileUrlTemplate('http://[::1]:7071/{event}').expand('c', 'e');
    assert.equal(ipv6.hostname, '::1');
    assert.equal(ipv6.port, 7071);
  });

  void it('never lets a value become a dot segment, and survives lone surrogates', () => {
    const template = compileUrlTemplate('http://h.example/hooks/{event}');
    assert.equal(template.expand('c', '..').path, '/hooks/%2E%2E');
    assert.equal(template.expand('c', '.').path, '/hooks/%2E');
    assert.equal(template.expand('c', '../x').path, '/hooks/..%2Fx');
    assert.equal(template.expand('c', 'a\uD800').path, '/hooks/a%EF%BF%BD');
  });

  void it('refuses templates it cannot use', () => {
    assert.throws(() => compileUrlTemplate('ftp://h.example/'), /absolute http/);
    assert.throws(() => compileUrlTemplate('/relative/{event}'), /absolute http/);
    assert.throws(() => compileUrlTemplate('http:///path'), /absolute http/);
    assert.throws(() => compileUrlTemplate('http://{hub}.example/'), /only after the host/);
    assert.throws(() => compileUrlTemplate('http://h.example:{event}/'), /only after the host/);
    assert.throws(() => compileUrlTemplate('http://h.example/a b/{event}'), /percent-encoded/);
  });
});

void describe('header values', () => {
  void it('passes printable ASCII, sends other text as UTF-8 bytes, refuses what cannot be carried', () => {
    assert.equal(toHeaderValue('alice@example.com'), 'alice@example.com');
    assert.equal(toHeaderValue(''), '');
    assert.equal(toHeaderValue('é'), '\u00c3\u00a9');
    assert.equal(Buffer.from(toHeaderValue('用户')!, 'latin1').toString('utf8'), '用户');
    for (const bad of ['a\r\nb', 'a\nb', '\u0000', 'del\u007f', ' lead', 'trail ', '\tx', 'x\uDC00', '\uD83D']) {
      assert.equal(toHeaderValue(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(toHeaderValue('😀'), Buffer.from('😀', 'utf8').toString('latin1'));
  });
});

void describe('cookies', () => {
  void it('stores, replaces and expires cookies, and ignores malformed ones', () => {
    const jar = new Map<string, string>();
    storeCookies(jar, ['a=1; Path=/', 'b=2; HttpOnly; Secure', 'c=3']);
    storeCookies(jar, ['a=10', 'b=; Max-Age=0', 'c=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'noequals', '=novalue', 'bad name=1', 'd="q"; Max-Age=60']);
    assert.equal(cookieHeader(jar), 'a=10; d="q"');
    assert.equal(cookieHeader(new Map()), undefined);
    storeCookies(jar, undefined);
    assert.equal(jar.size, 2);
  });

  void it('keeps at most 50 cookies', () => {
    const jar = new Map<string, string>();
    storeCookies(jar, Array.from({ length: 80 }, (_, i) => `c${i}=v`));
    assert.equal(jar.size, 50);
    storeCookies(jar, ['c0=updated']);
    assert.equal(jar.get('c0'), 'updated');
  });
});

void describe('ce-signature', () => {
  void it('is one lower-case sha256 HMAC of the connection id per key, comma-joined', () => {
    const expected = (key: string) => createHmac('sha256', key).update('conn-1').digest('hex');
    assert.equal(signConnectionId(['k1'], 'conn-1'), `sha256=${expected('k1')}`);
    assert.equal(signConnectionId(['k1', 'k2'], 'conn-1'), `sha256=${expected('k1')},sha256=${expected('k2')}`);
  });
});
