/**
 * Property tests for the OData filter: random well-typed expressions are printed with only the
 * parentheses precedence requires (plus some redundant ones) and their compiled predicate must
 * agree with an independent reference evaluation on random connections; random token soup and
 * mutations of valid filters must only ever produce a predicate or a 400.
 * Seeded PRNG: set ODATA_SEED to replay a failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '../../../emulator/errors.js';
import type { ConnectionInfo } from '../../../emulator/hub/types.js';
import { compileFilter } from '../../../emulator/rest/odata/index.js';

const SEED = Number(process.env.ODATA_SEED ?? 20241201);

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}

type Scalar = string | number | boolean | null;
type Ref = (c: ConnectionInfo) => Scalar;

/** Binding strength: or 1, and 2, comparisons 3, not 4, in 5, primaries 6. */
interface Expr {
  readonly text: string;
  readonly precedence: number;
  readonly ref: Ref;
}

const STRINGS = ['', 'a', 'A', 'alice', 'Alice', "o'neil", "''", ' padded ', 'g1', 'user-ab-de', '你好', 'json.webpubsub.azure.v1'];
const USERS: readonly (string | undefined)[] = [undefined, 'alice', 'Alice', "o'neil", ' padded ', 'user-ab-de', '你好', ''];
const GROUPS = ['g1', 'g2', 'a', "o'neil"];
const PROTOCOLS: readonly (string | undefined)[] = [undefined, 'json.webpubsub.azure.v1', 'json.reliable.webpubsub.azure.v1'];

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

class Generator {
  constructor(private readonly random: Random) {}

  /** Prints `expr` where the grammar needs at least `precedence`; sometimes adds spare parentheses. */
  operand(expr: Expr, precedence: number): string {
    return expr.precedence < precedence || this.random.chance(0.1) ? `(${expr.text})` : expr.text;
  }

  space(): string {
    return this.random.pick([' ', ' ', ' ', '  ', '\t']);
  }

  bool(depth: number): Expr {
    const r = this.random;
    const leaf = depth <= 0;
    switch (r.int(0, leaf ? 3 : 9)) {
      case 0: {
        const value = r.chance(0.5);
        return { text: String(value), precedence: 6, ref: () => value };
      }
      case 1: {
        const group = r.pick(GROUPS);
        return { text: `${quote(group)} in groups`, precedence: 5, ref: (c) => c.groups.has(group) };
      }
      case 2: {
        const user = r.pick(STRINGS);
        return { text: `userId eq ${quote(user)}`, precedence: 3, ref: (c) => (c.userId ?? null) === user };
      }
      case 3: {
        const values = Array.from({ length: r.int(0, 3) }, () => r.pick(STRINGS));
        return {
          text: `userId in (${values.map(quote).join(`,${this.space()}`)})`,
          precedence: 5,
          ref: (c) => values.includes(c.userId as string),
        };
      }
      case 4:
        return this.equality(depth - 1);
      case 5:
        return this.ordering(depth - 1);
      case 6: {
        const name = r.pick(['startswith', 'endswith', 'contains'] as const);
        const a = this.string(depth - 1);
        const b = this.string(depth - 1);
        return {
          text: `${name}(${a.text},${this.space()}${b.text})`,
          precedence: 6,
          ref: (c) => {
            const s = a.ref(c);
            const t = b.ref(c);
            if (typeof s !== 'string' || typeof t !== 'string') return false;
            return name === 'startswith' ? s.startsWith(t) : name === 'endswith' ? s.endsWith(t) : s.includes(t);
          },
        };
      }
      case 7: {
        const operand = this.bool(depth - 1);
        return { text: `not ${this.operand(operand, 4)}`, precedence: 4, ref: (c) => operand.ref(c) !== true };
      }
      default: {
        const or = r.chance(0.5);
        const left = this.bool(depth - 1);
        const right = this.bool(depth - 1);
        const precedence = or ? 1 : 2;
        return {
          text: `${this.operand(left, precedence)} ${or ? 'or' : 'and'} ${this.operand(right, precedence + 1)}`,
          precedence,
          ref: or ? (c) => left.ref(c) === true || right.ref(c) === true : (c) => left.ref(c) === true && right.ref(c) === true,
        };
      }
    }
  }

  equality(depth: number): Expr {
    const r = this.random;
    const [left, right] = r.chance(0.5) ? [this.string(depth), this.string(depth)] : [this.int(depth), this.int(depth)];
    const negate = r.chance(0.5);
    return {
      text: `${this.operand(left, 3)} ${negate ? 'ne' : 'eq'} ${this.operand(right, 4)}`,
      precedence: 3,
      ref: (c) => (left.ref(c) === right.ref(c)) !== negate,
    };
  }

  ordering(depth: number): Expr {
    const r = this.random;
    const operator = r.pick(['gt', 'ge', 'lt', 'le'] as const);
    const left = r.chance(0.1) ? NULL : this.int(depth);
    const right = this.int(depth);
    return {
      text: `${this.operand(left, 3)} ${operator} ${this.operand(right, 4)}`,
      precedence: 3,
      ref: (c) => {
        const a = left.ref(c);
        const b = right.ref(c);
        if (typeof a !== 'number' || typeof b !== 'number') return false;
        return operator === 'gt' ? a > b : operator === 'ge' ? a >= b : operator === 'lt' ? a < b : a <= b;
      },
    };
  }

  string(depth: number): Expr {
    const r = this.random;
    switch (r.int(0, depth <= 0 ? 3 : 8)) {
      case 0: {
        const value = r.pick(STRINGS);
        return { text: quote(value), precedence: 6, ref: () => value };
      }
      case 1:
        return { text: r.pick(['userId', 'USERID', 'userid']), precedence: 6, ref: (c) => c.userId ?? null };
      case 2:
        return { text: 'connectionId', precedence: 6, ref: (c) => c.connectionId };
      case 3:
        return r.chance(0.5) ? { text: 'protocol', precedence: 6, ref: (c) => c.protocol ?? null } : NULL;
      case 4:
      case 5: {
        const name = r.pick(['tolower', 'toupper', 'trim'] as const);
        const arg = this.string(depth - 1);
        return {
          text: `${name}(${arg.text})`,
          precedence: 6,
          ref: (c) => {
            const s = arg.ref(c);
            if (typeof s !== 'string') return null;
            return name === 'tolower' ? s.toLowerCase() : name === 'toupper' ? s.toUpperCase() : s.trim();
          },
        };
      }
      case 6: {
        const a = this.string(depth - 1);
        const b = this.string(depth - 1);
        return {
          text: `concat(${a.text},${this.space()}${b.text})`,
          precedence: 6,
          ref: (c) => {
            const s = a.ref(c);
            const t = b.ref(c);
            if (typeof s !== 'string' && typeof t !== 'string') return null;
            return `${typeof s === 'string' ? s : ''}${typeof t === 'string' ? t : ''}`;
          },
        };
      }
      default: {
        const text = this.string(depth - 1);
        const start = this.int(depth - 1);
        const length = r.chance(0.5) ? this.int(depth - 1) : undefined;
        return {
          text: `substring(${text.text}, ${start.text}${length ? `, ${length.text}` : ''})`,
          precedence: 6,
          ref: (c) => {
            const s = text.ref(c);
            const i = start.ref(c);
            const n = length?.ref(c);
            if (typeof s !== 'string' || typeof i !== 'number' || i < 0 || i > s.length) return null;
            if (length === undefined) return s.substring(i);
            if (typeof n !== 'number' || n < 0 || i + n > s.length) return null;
            return s.substring(i, i + n);
          },
        };
      }
    }
  }

  int(depth: number): Expr {
    const r = this.random;
    switch (r.int(0, depth <= 0 ? 0 : 3)) {
      case 0: {
        const value = r.int(-3, 12);
        const text = value >= 0 && r.chance(0.2) ? `+${value}` : String(value);
        return { text, precedence: 6, ref: () => value };
      }
      case 1: {
        const arg = this.string(depth - 1);
        return { text: `length(${arg.text})`, precedence: 6, ref: (c) => { const s = arg.ref(c); return typeof s === 'string' ? s.length : null; } };
      }
      case 2:
        return { text: 'length(groups)', precedence: 6, ref: (c) => c.groups.size };
      default: {
        const a = this.string(depth - 1);
        const b = this.string(depth - 1);
        return {
          text: `indexof(${a.text},${b.text})`,
          precedence: 6,
          ref: (c) => {
            const s = a.ref(c);
            const t = b.ref(c);
            return typeof s === 'string' && typeof t === 'string' ? s.indexOf(t) : -1;
          },
        };
      }
    }
  }
}

const NULL: Expr = { text: 'null', precedence: 6, ref: () => null };

function randomConnection(random: Random, index: number): ConnectionInfo {
  const groups = new Set(GROUPS.filter(() => random.chance(0.4)));
  return { connectionId: `c${index}`, userId: random.pick(USERS), groups, protocol: random.pick(PROTOCOLS) };
}

function assertOnlyBadRequests(filter: string, connections: readonly ConnectionInfo[]): void {
  let predicate;
  try {
    predicate = compileFilter(filter);
  } catch (error) {
    assert.ok(error instanceof ServiceError, `${JSON.stringify(filter)} threw ${String(error)}`);
    assert.equal(error.status, 400);
    return;
  }
  if (predicate === undefined) return;
  for (const connection of connections) assert.equal(typeof predicate(connection), 'boolean');
}

void describe(`OData filter properties (seed ${SEED})`, () => {
  const random = new Random(SEED);
  const connections = Array.from({ length: 40 }, (_, i) => randomConnection(random, i));

  void it('agrees with a reference evaluation on 3,000 random well-typed filters', () => {
    const generator = new Generator(random);
    for (let i = 0; i < 3_000; i++) {
      const expr = generator.bool(random.int(1, 5));
      let predicate;
      try {
        predicate = compileFilter(expr.text);
      } catch (error) {
        assert.fail(`${expr.text} was rejected: ${String(error)}`);
      }
      assert.ok(predicate);
      for (const connection of connections) {
        assert.equal(predicate(connection), expr.ref(connection) === true, `${expr.text} on ${JSON.stringify({ ...connection, groups: [...connection.groups] })}`);
      }
    }
  });

  void it('answers token soup with a predicate or a 400, nothing else', () => {
    const vocabulary = ['userId', 'groups', 'protocol', 'x', 'eq', 'ne', 'gt', 'and', 'or', 'not', 'in', '(', ')', ',', "'a'", "'", "''", '1', '-', 'null', 'true', 'length', 'tolower', 'substring', 'concat', '%', '/', '\\', '`', '"', '__proto__'];
    for (let i = 0; i < 5_000; i++) {
      const filter = Array.from({ length: random.int(1, 12) }, () => random.pick(vocabulary)).join(random.chance(0.5) ? ' ' : '');
      assertOnlyBadRequests(filter, connections);
    }
  });

  void it('answers mutations of valid filters with a predicate or a 400, nothing else', () => {
    const generator = new Generator(random);
    const alphabet = "()', eqnotand1-'x";
    for (let i = 0; i < 3_000; i++) {
      const chars = Array.from(generator.bool(3).text);
      for (let m = random.int(1, 3); m > 0; m--) {
        const at = random.int(0, chars.length);
        if (random.chance(0.5)) chars.splice(at, 1);
        else chars.splice(at, 0, random.pick(Array.from(alphabet)));
      }
      assertOnlyBadRequests(chars.join(''), connections);
    }
  });
});
