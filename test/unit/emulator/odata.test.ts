import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '../../../emulator/errors.js';
import type { ConnectionInfo } from '../../../emulator/hub/types.js';
import { compileFilter, MAX_FILTER_CLAUSES, MAX_FILTER_LENGTH } from '../../../emulator/rest/odata/index.js';

function connection(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return { connectionId: 'conn-1', userId: undefined, groups: new Set<string>(), protocol: undefined, ...overrides };
}

function matches(filter: string, info: ConnectionInfo): boolean {
  const predicate = compileFilter(filter);
  assert.ok(predicate, `expected a predicate for ${filter}`);
  return predicate(info);
}

function rejection(filter: string): ServiceError {
  try {
    compileFilter(filter);
  } catch (error) {
    assert.ok(error instanceof ServiceError, `expected a ServiceError for ${filter}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(filter)} to be rejected`);
}

void describe('OData filter: matching', () => {
  const alice = connection({ userId: 'alice', connectionId: 'c-alice', groups: new Set(['group1', 'group2']), protocol: 'json.webpubsub.azure.v1' });
  const anonymous = connection({ connectionId: 'c-anon' });
  const spaced = connection({ userId: ' user1 ', connectionId: 'c-3' });
  const long = connection({ userId: 'user-ab-de', connectionId: 'c-4', groups: new Set(['group1']) });

  const cases: ReadonlyArray<readonly [string, ConnectionInfo, boolean]> = [
    ["userId eq 'alice'", alice, true],
    ["userId eq 'Alice'", alice, false],
    ['userId eq null', anonymous, true],
    ['userId eq null', alice, false],
    ['userId ne null', alice, true],
    ["userId in ('bob', 'alice')", alice, true],
    ["userId in ('bob', 'carol')", alice, false],
    ["'group1' in groups", alice, true],
    ["'group3' in groups", alice, false],
    ["'group1' in (groups)", alice, true],
    ['length(groups) gt 1', alice, true],
    ['length(groups) gt 1', long, false],
    ['length(userId) le 10 and length(userId) gt 3', long, true],
    ['length(userId) gt 3', anonymous, false],
    ["not endswith(userId, 'milk')", alice, true],
    ["tolower(userId) eq 'alice'", connection({ userId: 'ALICE' }), true],
    ["toupper(userId) eq 'ALICE'", alice, true],
    ["trim(userId) eq 'user1'", spaced, true],
    ["substring(userId,5,2) eq 'ab'", long, true],
    ["substring(userId, 1, 1) eq 'b'", connection({ userId: 'abc' }), true],
    ["substring(userId, 1) eq 'b'", connection({ userId: '' }), false],
    ["substring(userId, 1, 2) eq 'bc'", connection({ userId: 'a' }), false],
    ["startswith(userId,'user')", long, true],
    ["endswith(userId,'de')", long, true],
    ["contains(userId, 'b')", connection({ userId: 'aaa' }), false],
    ["indexof(userId,'-ab-') ge 0", long, true],
    ["indexof(userId,'-ab-') ge 0", anonymous, false],
    ["concat(userId, '!') eq 'alice!'", alice, true],
    ["concat(userId, '!') eq '!'", anonymous, true],
    ["connectionId ne '123'", alice, true],
    ["userId eq 'user''1'", connection({ userId: "user'1" }), true],
    ["protocol eq 'json.webpubsub.azure.v1'", alice, true],
    ['protocol eq null', anonymous, true],
    ['true', anonymous, true],
    ['false', alice, false],
    ["(userId eq 'alice')", alice, true],
    ["userId eq 'x' or userId eq 'alice' and 'group1' in groups", alice, true],
    ["(userId eq 'x' or userId eq 'alice') and 'nope' in groups", alice, false],
    ["userId eq 'alice' and (not ('group1' in groups))", alice, false],
    ["not 'group9' in groups", alice, true],
    ['1 lt 2', anonymous, true],
    ['-1 lt +1', anonymous, true],
    ['null lt 1', anonymous, false],
    ['USERID eq null and ConnectionId eq \'c-anon\'', anonymous, true],
    ["userId in ('Doe, John', 'Alice')", connection({ userId: 'Doe, John' }), true],
    ["userId in ('O''Brien, Jane', 'Alice')", connection({ userId: "O'Brien, Jane" }), true],
    ["userId in (concat('al', 'ice'))", alice, true],
    ['userId in ()', alice, false],
    ['groups eq groups', alice, true],
  ];

  for (const [filter, info, expected] of cases) {
    void it(`${filter} → ${expected} for ${info.userId ?? 'null'}`, () => {
      assert.equal(matches(filter, info), expected);
    });
  }

  void it('treats an empty filter as "every connection"', () => {
    assert.equal(compileFilter(''), undefined);
  });

  void it('matches a quote-injection attempt only literally', () => {
    // What the SDK's odata template produces for the value  a' or userId ne '
    const filter = "userId eq 'a'' or userId ne '''";
    assert.equal(matches(filter, connection({ userId: "a' or userId ne '" })), true);
    assert.equal(matches(filter, connection({ userId: 'bob' })), false);
    assert.equal(matches(filter, connection()), false);
  });
});

void describe('OData filter: errors', () => {
  const exact: ReadonlyArray<readonly [string, string]> = [
    ['userId lt 1', "Invalid syntax for 'userId lt 1': Type 'string', expect 'int'. (Parameter 'filter')"],
    ['invalid(ab,c)', "Invalid syntax for 'invalid(ab,c)': Token 'invalid(ab,c)' is not supported. (Parameter 'filter')"],
    ['ab eq 1', "Invalid syntax for 'ab eq 1': Token 'ab' is not supported. (Parameter 'filter')"],
    ["( not 'a' )", "Invalid syntax for 'not 'a'': Type 'string', expect 'bool'. (Parameter 'filter')"],
    ['userId', "Invalid syntax for 'userId': Type 'string', expect 'bool'. (Parameter 'filter')"],
    ['length(1) eq 1', "Invalid syntax for 'length(1)': Invalid token 'length(1)'. (Parameter 'filter')"],
    ["tolower(userId, 'x') eq 'a'", "Invalid syntax for 'tolower(userId,'x')': Invalid token 'tolower(userId,'x')'. (Parameter 'filter')"],
    ["userId eq 'a' and ab eq 1", "Invalid syntax for 'ab eq 1': Token 'ab' is not supported. (Parameter 'filter')"],
    ['not length(userId) gt 5', "Invalid syntax for 'not length(userId)': Type 'int', expect 'bool'. (Parameter 'filter')"],
    ["userId eq", "Invalid syntax for 'userId eq': Expression expected at position 9. (Parameter 'filter')"],
    ["userId eq 'a", "Invalid syntax for 'userId eq 'a': Unterminated string literal at position 10. (Parameter 'filter')"],
    ["(userId eq 'a'", "Invalid syntax for '(userId eq 'a'': ')' expected at position 14. (Parameter 'filter')"],
    ["userId eq 'a')", "Invalid syntax for 'userId eq 'a')': Unexpected ')' at position 13. (Parameter 'filter')"],
    ["groups/any(g: g eq 'a')", "Invalid syntax for 'groups/any(g: g eq 'a')': Unexpected character '/' at position 6. (Parameter 'filter')"],
    ['length(userId) add 1 eq 3', "Invalid syntax for 'length(userId) add 1 eq 3': The operator 'add' at position 15 is not supported. (Parameter 'filter')"],
    ["userId in userId", "Invalid syntax for 'userId in userId': Type 'string', expect 'collection'. (Parameter 'filter')"],
    ['substring(userId, null) eq null', "Invalid syntax for 'substring(userId,null)': Type 'null', expect 'int'. (Parameter 'filter')"],
    ['3000000000 gt 1', "Invalid syntax for '3000000000 gt 1': Token '3000000000' is not supported. (Parameter 'filter')"],
    ['__proto__ eq 1', "Invalid syntax for '__proto__ eq 1': Token '__proto__' is not supported. (Parameter 'filter')"],
    ['constructor', "Invalid syntax for 'constructor': Token 'constructor' is not supported. (Parameter 'filter')"],
    ['   ', "Invalid syntax for '   ': Expression expected at position 3. (Parameter 'filter')"],
    ['1.5 eq 1', "Invalid syntax for '1.5 eq 1': Unexpected character '.' at position 1. (Parameter 'filter')"],
  ];

  for (const [filter, message] of exact) {
    void it(`rejects ${JSON.stringify(filter)}`, () => {
      const error = rejection(filter);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'Error.BadRequest');
      assert.equal(error.target, 'Request');
      assert.equal(error.message, message);
    });
  }

  const rejected = [
    "' or 1 eq 1 or '",
    '`',
    '%27',
    "userId EQ 'a'",
    "userId eq 'a' or",
    'not',
    '()',
    "tolower() eq 'a'",
    "userId in ('a',)",
    "('a','b') eq userId",
    'groups',
    'userId gt userId',
    "connectionId gt 'a'",
    'true and 1',
    "length(groups) eq 1 or 'x'",
    "userId eq 'a'\u0000",
  ];
  for (const filter of rejected) {
    void it(`rejects ${JSON.stringify(filter)} with a 400`, () => {
      const error = rejection(filter);
      assert.equal(error.status, 400);
      assert.match(error.message, /^Invalid syntax for '.*': .+ \(Parameter 'filter'\)$/s);
    });
  }

  void it('refuses 10,000 nested parentheses without exhausting the stack', () => {
    const started = performance.now();
    const error = rejection(`${'('.repeat(10_000)}true`);
    assert.match(error.message, /nests deeper than 100 levels/);
    assert.ok(performance.now() - started < 100);
  });

  void it('refuses deep not-chains and nested calls', () => {
    assert.match(rejection(`${'not '.repeat(3_000)}true`).message, /nests deeper/);
    assert.match(rejection(`${'tolower('.repeat(500)}userId${')'.repeat(500)} eq 'a'`).message, /nests deeper/);
  });

  void it('refuses a 1 MB filter before tokenizing it, quoting only its start', () => {
    const filter = `userId eq '${'x'.repeat(1024 * 1024)}'`;
    const error = rejection(filter);
    assert.match(error.message, new RegExp(`at most ${MAX_FILTER_LENGTH} are supported`));
    assert.ok(error.message.length < 1024);
  });

  void it(`accepts ${MAX_FILTER_CLAUSES} clauses and refuses one more`, () => {
    const clauses = (n: number): string => Array.from({ length: n }, (_, i) => `'g${i}' in groups`).join(' or ');
    assert.ok(compileFilter(clauses(MAX_FILTER_CLAUSES)));
    assert.match(rejection(clauses(MAX_FILTER_CLAUSES + 1)).message, /more than 100 clauses/);
  });

  void it('rejects long quote runs in linear time', () => {
    const started = performance.now();
    rejection(`userId eq ${"'".repeat(15_001)}`);
    rejection("'a".repeat(8_000));
    assert.ok(performance.now() - started < 200);
  });

  void it('does not pollute prototypes', () => {
    compileFilter("userId eq '__proto__' or 'constructor' in groups");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
