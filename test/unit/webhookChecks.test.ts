import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { secretsEqual } from '../../src/webhook/digest.js';
import { allowedOrigin } from '../../src/webhook/origin.js';
import { createReplayGuard, parseEventTime } from '../../src/webhook/replayGuard.js';
import { computeSignature, verifySignature } from '../../src/webhook/signature.js';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const OTHER_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ZYXWVU';

void describe('ce-signature', () => {
  const hex = createHmac('sha256', KEY).update('conn-1').digest('hex');

  void it('is the HMAC-SHA256 of the connection id keyed with the access key string', () => {
    assert.equal(computeSignature('conn-1', KEY), `sha256=${hex}`);
  });

  void it('accepts a valid entry anywhere in the list, in any hex case, under any known key', () => {
    assert.equal(verifySignature(`sha256=${hex}`, 'conn-1', [KEY]), true);
    assert.equal(verifySignature(`sha256=${hex.toUpperCase()}`, 'conn-1', [KEY]), true);
    assert.equal(verifySignature(`SHA256=${hex}`, 'conn-1', [KEY]), true);
    assert.equal(verifySignature(`${computeSignature('conn-1', OTHER_KEY)}, sha256=${hex}`, 'conn-1', [KEY]), true);
    assert.equal(verifySignature(computeSignature('conn-1', OTHER_KEY), 'conn-1', [KEY, OTHER_KEY]), true);
  });

  void it('refuses missing, forged and garbage signatures without throwing', () => {
    assert.equal(verifySignature(null, 'conn-1', [KEY]), false);
    assert.equal(verifySignature('', 'conn-1', [KEY]), false);
    assert.equal(verifySignature(computeSignature('conn-1', OTHER_KEY), 'conn-1', [KEY]), false);
    assert.equal(verifySignature(computeSignature('conn-2', KEY), 'conn-1', [KEY]), false);
    assert.equal(verifySignature(`sha256=${hex.slice(0, 63)}`, 'conn-1', [KEY]), false);
    assert.equal(verifySignature(hex, 'conn-1', [KEY]), false, 'the sha256= prefix is part of the value');
    assert.equal(verifySignature(`sha256=${'f'.repeat(1_000_000)}`, 'conn-1', [KEY]), false);
    assert.equal(verifySignature(',,,,', 'conn-1', [KEY]), false);
    assert.equal(verifySignature(`sha256=${hex}`, null, [KEY]), false);
    assert.equal(verifySignature(`sha256=${hex}`, 'conn-1', []), false);
  });
});

void describe('shared secret comparison', () => {
  void it('compares any lengths in constant time', () => {
    assert.equal(secretsEqual('a-long-enough-secret', 'a-long-enough-secret'), true);
    assert.equal(secretsEqual('a-long-enough-secreT', 'a-long-enough-secret'), false);
    assert.equal(secretsEqual('', 'a-long-enough-secret'), false);
    assert.equal(secretsEqual('x'.repeat(100_000), 'a-long-enough-secret'), false);
  });
});

void describe('WebHook-Request-Origin', () => {
  const allowed = ['localhost', 'chat.webpubsub.azure.com'];

  void it('accepts an allowed host name, with or without a port, in any case', () => {
    assert.equal(allowedOrigin('localhost', allowed), 'localhost');
    assert.equal(allowedOrigin('localhost:8080', allowed), 'localhost:8080');
    assert.equal(allowedOrigin('Chat.WebPubSub.Azure.com', allowed), 'Chat.WebPubSub.Azure.com');
  });

  void it('refuses anything else', () => {
    for (const origin of [null, '', 'evil.webpubsub.azure.com', 'chat.webpubsub.azure.com.evil.com', 'localhost, evil.com', 'evil.com, localhost', '*', 'http://localhost', 'localhost/path', 'localhost:abc', 'x'.repeat(10_000)]) {
      assert.equal(allowedOrigin(origin, allowed), undefined, String(origin));
    }
  });
});

void describe('replay guard', () => {
  const start = Date.parse('2024-05-01T12:00:00Z');

  void it('parses the service time format, including 7-digit fractions', () => {
    assert.equal(parseEventTime('2024-05-01T12:00:00Z'), start);
    assert.equal(parseEventTime('2024-05-01T12:00:00.1234567Z'), start + 123);
    assert.equal(parseEventTime('2024-05-01T14:00:00+02:00'), start);
    assert.equal(parseEventTime('yesterday'), undefined);
    assert.equal(parseEventTime('2024-13-45T99:00:00Z'), undefined);
  });

  void it('admits a fresh event once and refuses its replay', () => {
    const guard = createReplayGuard({ now: () => start });
    assert.deepEqual(guard.admit('c1', '1', '2024-05-01T12:00:00Z'), { ok: true });
    const replay = guard.admit('c1', '1', '2024-05-01T12:00:00Z');
    assert.equal(replay.ok, false);
    assert.equal(!replay.ok && replay.status, 409);
    assert.deepEqual(guard.admit('c1', '2', '2024-05-01T12:00:00Z'), { ok: true });
    assert.deepEqual(guard.admit('c2', '1', '2024-05-01T12:00:00Z'), { ok: true });
  });

  void it('refuses stale, future, missing and malformed times', () => {
    const guard = createReplayGuard({ now: () => start });
    for (const time of ['2024-05-01T11:54:59Z', '2024-05-01T12:05:01Z', null, 'not a time']) {
      const verdict = guard.admit('c1', String(time), time);
      assert.equal(verdict.ok, false, String(time));
      assert.equal(!verdict.ok && verdict.status, 400);
    }
    assert.deepEqual(guard.admit('c1', 'edge', '2024-05-01T11:55:00Z'), { ok: true });
  });

  void it('lets a retry through after a failure is forgotten', () => {
    const guard = createReplayGuard({ now: () => start });
    assert.deepEqual(guard.admit('c1', '7', '2024-05-01T12:00:00Z'), { ok: true });
    guard.forget('c1', '7');
    assert.deepEqual(guard.admit('c1', '7', '2024-05-01T12:00:00Z'), { ok: true });
  });

  void it('remembers an event until its time can no longer pass, then forgets it', () => {
    let now = start;
    const guard = createReplayGuard({ now: () => now, maxAgeMs: 60_000 });
    // Stamped by a clock 59 s ahead: its time passes the check for 1 min 59 s, so it is remembered that long.
    assert.deepEqual(guard.admit('c1', '1', '2024-05-01T12:00:59Z'), { ok: true });
    now = start + 115_000;
    assert.equal(guard.admit('c1', '1', '2024-05-01T12:00:59Z').ok, false);
    now = start + 125_000;
    assert.equal(guard.admit('c1', '1', '2024-05-01T12:00:59Z').ok, false, 'stale by then');
  });

  void it('stays within its capacity', () => {
    const guard = createReplayGuard({ now: () => start, capacity: 3 });
    for (const id of ['1', '2', '3', '4']) assert.deepEqual(guard.admit('c', id, '2024-05-01T12:00:00Z'), { ok: true });
    // The oldest was dropped to make room; the newest are still remembered.
    assert.deepEqual(guard.admit('c', '1', '2024-05-01T12:00:00Z'), { ok: true });
    assert.equal(guard.admit('c', '4', '2024-05-01T12:00:00Z').ok, false);
  });
});
