import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValue, resolveConnectIdentity } from '../../src/chat/identity.js';
import { MAX_MESSAGE_LENGTH, readMessageText, validateMessageText } from '../../src/chat/messageText.js';
import { chatMessage, errorNotice, presenceNotice, SYSTEM_SENDER } from '../../src/chat/payloads.js';
import { MAX_USER_NAME_LENGTH, RESERVED_USER_NAMES, validatePrincipalName, validateUserName } from '../../src/chat/userName.js';

function code(result: { ok: boolean; code?: string }): string | undefined {
  return result.ok ? undefined : result.code;
}

void describe('user names', () => {
  void it('accepts nicknames in any script, trimmed and NFC-normalized', () => {
    for (const name of ['alice', 'Bob Smith', "O'Brien", 'jean-luc.p_2', 'Zoë', '用户', 'Ελένη', 'a'.repeat(MAX_USER_NAME_LENGTH)]) {
      assert.deepEqual(validateUserName(name), { ok: true, value: name }, name);
    }
    assert.deepEqual(validateUserName('  alice  '), { ok: true, value: 'alice' });
    assert.deepEqual(validateUserName('Zoe\u0308'), { ok: true, value: 'Zoë' });
  });

  void it('refuses missing, long, odd and reserved names', () => {
    assert.equal(code(validateUserName(undefined)), 'name-missing');
    assert.equal(code(validateUserName(null)), 'name-missing');
    assert.equal(code(validateUserName(42)), 'name-missing');
    assert.equal(code(validateUserName('   ')), 'name-missing');
    assert.equal(code(validateUserName('a'.repeat(MAX_USER_NAME_LENGTH + 1))), 'name-too-long');
    assert.equal(code(validateUserName('a'.repeat(100_000))), 'name-too-long');
    for (const name of ['<img src=x onerror=alert(1)>', '"><script>', 'a\r\nb', 'tab\there', 'x\u202Eevil', 'semi;colon', 'at@sign', 'emoji 😀', 'slash/']) {
      assert.equal(code(validateUserName(name)), 'name-invalid-characters', name);
    }
    for (const name of ['system', 'System', 'ADMIN', ' server ', 'ｓｙｓｔｅｍ']) {
      assert.equal(code(validateUserName(name)), 'name-reserved', name);
    }
    assert.ok(RESERVED_USER_NAMES.has(SYSTEM_SENDER));
  });

  void it('is linear on hostile input', () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) validateUserName(`${'a '.repeat(15)}!`);
    assert.ok(performance.now() - started < 500);
  });

  void it('accepts principal names from the platform, refusing control characters', () => {
    assert.deepEqual(validatePrincipalName('alice@contoso.com'), { ok: true, value: 'alice@contoso.com' });
    assert.equal(code(validatePrincipalName('')), 'principal-missing');
    assert.equal(code(validatePrincipalName(null)), 'principal-missing');
    assert.equal(code(validatePrincipalName('a\nb')), 'principal-invalid-characters');
    assert.equal(code(validatePrincipalName('x'.repeat(129))), 'principal-too-long');
  });
});

void describe('message text', () => {
  void it('accepts text, trimmed, up to the limit in characters (not UTF-16 units)', () => {
    assert.deepEqual(validateMessageText('  hello  '), { ok: true, value: 'hello' });
    assert.deepEqual(validateMessageText('line 1\nline 2\ttab'), { ok: true, value: 'line 1\nline 2\ttab' });
    assert.ok(validateMessageText('😀'.repeat(MAX_MESSAGE_LENGTH)).ok);
    assert.ok(validateMessageText('<img src=x onerror=alert(1)>').ok, 'markup is just text; the page renders it as text');
  });

  void it('refuses empty, long, non-text and control characters', () => {
    assert.equal(code(validateMessageText('')), 'message-empty');
    assert.equal(code(validateMessageText(' \n ')), 'message-empty');
    assert.equal(code(validateMessageText('x'.repeat(MAX_MESSAGE_LENGTH + 1))), 'message-too-long');
    assert.equal(code(validateMessageText('x'.repeat(1_000_000))), 'message-too-long');
    assert.equal(code(validateMessageText(5)), 'message-unsupported-type');
    assert.equal(code(validateMessageText('bell\u0007')), 'message-invalid-characters');
    assert.equal(code(validateMessageText('nul\u0000')), 'message-invalid-characters');
    assert.equal(code(validateMessageText('rtl \u202E override')), 'message-invalid-characters');
    assert.equal(code(validateMessageText('lone \uD800 surrogate')), 'message-invalid-characters');
  });

  void it('reads text frames, JSON strings and {message} objects; refuses binary and other JSON', () => {
    assert.deepEqual(readMessageText('hi', 'text'), { ok: true, value: 'hi' });
    assert.deepEqual(readMessageText('{"message":"x"}', 'text'), { ok: true, value: '{"message":"x"}' });
    assert.deepEqual(readMessageText('hi', 'json'), { ok: true, value: 'hi' });
    assert.deepEqual(readMessageText({ message: 'hi' }, 'json'), { ok: true, value: 'hi' });
    assert.equal(code(readMessageText({ message: 7 }, 'json')), 'message-unsupported-type');
    assert.equal(code(readMessageText({ text: 'hi' }, 'json')), 'message-unsupported-type');
    assert.equal(code(readMessageText(['hi'], 'json')), 'message-unsupported-type');
    assert.equal(code(readMessageText(null, 'json')), 'message-unsupported-type');
    assert.equal(code(readMessageText(JSON.parse('{"__proto__":{"message":"x"}}'), 'json')), 'message-unsupported-type');
    assert.equal(code(readMessageText(new ArrayBuffer(2), 'binary')), 'message-unsupported-type');
  });
});

void describe('payloads', () => {
  const stamp = { id: 'id-1', time: '2024-01-01T00:00:00.000Z' };

  void it('keep the tutorial fields from and message on everything', () => {
    assert.deepEqual(chatMessage('alice', 'hi', stamp), { kind: 'message', id: 'id-1', from: 'alice', message: 'hi', time: stamp.time });
    assert.deepEqual(presenceNotice('joined', 'bob', stamp), { kind: 'joined', id: 'id-1', from: 'system', user: 'bob', message: 'bob joined the chat', time: stamp.time });
    assert.equal(presenceNotice('left', 'bob', stamp).message, 'bob left the chat');
    assert.deepEqual(errorNotice('message-empty', 'The message is empty.'), { kind: 'error', from: 'system', code: 'message-empty', message: 'The message is empty.' });
  });
});

void describe('connect identity (lazy auth)', () => {
  void it('takes the user from the token subject, ignoring the query', () => {
    assert.deepEqual(resolveConnectIdentity({ claims: { sub: ['alice'] }, query: { id: ['admin'] }, platformAuthEnabled: false }), { ok: true, value: 'alice' });
    assert.deepEqual(resolveConnectIdentity({ claims: { sub: ['alice@contoso.com'] }, query: {}, platformAuthEnabled: true }), { ok: true, value: 'alice@contoso.com' });
  });

  void it('takes an anonymous user from ?id=, validated', () => {
    assert.deepEqual(resolveConnectIdentity({ claims: {}, query: { id: ['bob'] }, platformAuthEnabled: false }), { ok: true, value: 'bob' });
    assert.deepEqual(resolveConnectIdentity({ claims: undefined, query: { id: 'bob' }, platformAuthEnabled: false }), { ok: true, value: 'bob' });
    assert.equal(code(resolveConnectIdentity({ claims: {}, query: {}, platformAuthEnabled: false })), 'name-missing');
    assert.equal(code(resolveConnectIdentity({ claims: {}, query: { id: [] }, platformAuthEnabled: false })), 'name-missing');
    assert.equal(code(resolveConnectIdentity({ claims: {}, query: { id: ['system'] }, platformAuthEnabled: false })), 'name-reserved');
    assert.equal(code(resolveConnectIdentity({ claims: {}, query: { id: ['a\r\nb'] }, platformAuthEnabled: false })), 'name-invalid-characters');
  });

  void it('refuses anonymous connections when the platform authenticates users', () => {
    assert.equal(code(resolveConnectIdentity({ claims: {}, query: { id: ['bob'] }, platformAuthEnabled: true })), 'sign-in-required');
  });

  void it('reads only own properties of network maps', () => {
    const polluted = JSON.parse('{"__proto__":{"sub":["admin"]}}');
    assert.equal(firstValue(polluted, 'sub'), undefined);
    assert.equal(firstValue({}, 'constructor'), undefined);
    assert.equal(firstValue('text', 'length'), undefined);
    assert.equal(firstValue({ id: [5] }, 'id'), undefined);
    assert.equal(({} as Record<string, unknown>).sub, undefined);
  });
});
