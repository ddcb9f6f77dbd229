import type { ConnectionFilter, ConnectionInfo } from '../../hub/types.js';
import type { FilterNode } from './ast.js';

/**
 * Turns a checked syntax tree into a predicate made of small closures, built once per request and
 * run once per candidate connection. Only call after `checkFilter`: the closures trust the types
 * it proved and have no error paths of their own (a `null` operand yields `null`/`false`/`-1`
 * as the service does, never an exception).
 */

type Value = string | number | boolean | null | ReadonlySet<string>;
type Evaluate = (connection: ConnectionInfo) => Value;

export function compileChecked(root: FilterNode): ConnectionFilter {
  const evaluate = compileNode(root);
  return (connection) => evaluate(connection) === true;
}

function compileNode(node: FilterNode): Evaluate {
  switch (node.kind) {
    case 'literal': {
      const { value } = node;
      return () => value;
    }
    case 'identifier':
      return compileIdentifier(node.name.toLowerCase());
    case 'not': {
      const operand = compileNode(node.operand);
      return (c) => operand(c) !== true;
    }
    case 'binary':
      return compileBinary(node);
    case 'in':
      return compileIn(node);
    case 'list':
      // The checker only lets lists through as the right side of `in`.
      return () => null;
    case 'call':
      return compileCall(node);
  }
}

function compileIdentifier(name: string): Evaluate {
  switch (name) {
    case 'userid':
      return (c) => c.userId ?? null;
    case 'connectionid':
      return (c) => c.connectionId;
    case 'groups':
      return (c) => c.groups;
    default:
      return (c) => c.protocol ?? null;
  }
}

function compileBinary(node: Extract<FilterNode, { kind: 'binary' }>): Evaluate {
  const left = compileNode(node.left);
  const right = compileNode(node.right);
  switch (node.operator) {
    case 'and':
      return (c) => left(c) === true && right(c) === true;
    case 'or':
      return (c) => left(c) === true || right(c) === true;
    case 'eq':
      return (c) => valuesEqual(left(c), right(c));
    case 'ne':
      return (c) => !valuesEqual(left(c), right(c));
    case 'gt':
      return ordering(left, right, (a, b) => a > b);
    case 'ge':
      return ordering(left, right, (a, b) => a >= b);
    case 'lt':
      return ordering(left, right, (a, b) => a < b);
    case 'le':
      return ordering(left, right, (a, b) => a <= b);
  }
}

function ordering(left: Evaluate, right: Evaluate, test: (a: number, b: number) => boolean): Evaluate {
  return (c) => {
    const a = left(c);
    const b = right(c);
    return typeof a === 'number' && typeof b === 'number' && test(a, b);
  };
}

function compileIn(node: Extract<FilterNode, { kind: 'in' }>): Evaluate {
  const left = compileNode(node.left);
  const { right } = node;
  if (right.kind === 'list') {
    const [only] = right.items;
    if (right.items.length === 1 && only !== undefined && isCollectionExpression(only)) {
      return membership(left, compileNode(only));
    }
    // Literal-only lists (the common `userId in ('a','b')`) become one Set lookup.
    if (right.items.every((item) => item.kind === 'literal')) {
      const values = new Set(right.items.map((item) => (item.kind === 'literal' ? item.value : null)));
      return (c) => {
        const value = left(c);
        return !isCollection(value) && values.has(value);
      };
    }
    const items = right.items.map(compileNode);
    return (c) => {
      const value = left(c);
      return items.some((item) => valuesEqual(value, item(c)));
    };
  }
  return membership(left, compileNode(right));
}

function membership(left: Evaluate, collection: Evaluate): Evaluate {
  return (c) => {
    const value = left(c);
    const set = collection(c);
    return typeof value === 'string' && isCollection(set) && set.has(value);
  };
}

function isCollectionExpression(node: FilterNode): boolean {
  return node.kind === 'identifier' && node.name.toLowerCase() === 'groups';
}

function compileCall(node: Extract<FilterNode, { kind: 'call' }>): Evaluate {
  const args = node.args.map(compileNode);
  const [first = nothing, second = nothing, third] = args;
  switch (node.name) {
    case 'tolower':
      return (c) => mapString(first(c), (s) => s.toLowerCase());
    case 'toupper':
      return (c) => mapString(first(c), (s) => s.toUpperCase());
    case 'trim':
      return (c) => mapString(first(c), (s) => s.trim());
    case 'contains':
      return stringTest(first, second, (s, t) => s.includes(t));
    case 'startswith':
      return stringTest(first, second, (s, t) => s.startsWith(t));
    case 'endswith':
      return stringTest(first, second, (s, t) => s.endsWith(t));
    case 'indexof':
      return (c) => {
        const s = first(c);
        const t = second(c);
        return typeof s === 'string' && typeof t === 'string' ? s.indexOf(t) : -1;
      };
    case 'concat':
      return (c) => {
        const s = first(c);
        const t = second(c);
        if (typeof s !== 'string') return typeof t === 'string' ? t : null;
        return typeof t === 'string' ? s + t : s;
      };
    case 'substring':
      return (c) => substring(first(c), second(c), third?.(c));
    default:
      // `length` is the only other name the checker admits.
      return (c) => {
        const value = first(c);
        if (typeof value === 'string') return value.length;
        return isCollection(value) ? value.size : null;
      };
  }
}

const nothing: Evaluate = () => null;

function mapString(value: Value, map: (s: string) => string): Value {
  return typeof value === 'string' ? map(value) : null;
}

function stringTest(first: Evaluate, second: Evaluate, test: (s: string, t: string) => boolean): Evaluate {
  return (c) => {
    const s = first(c);
    const t = second(c);
    return typeof s === 'string' && typeof t === 'string' && test(s, t);
  };
}

/** Out-of-range positions give `null` rather than an error, like the service. */
function substring(text: Value, start: Value, length: Value | undefined): Value {
  if (typeof text !== 'string' || typeof start !== 'number') return null;
  if (start < 0 || start > text.length) return null;
  if (length === undefined) return text.slice(start);
  if (typeof length !== 'number' || length < 0 || length > text.length - start) return null;
  return text.slice(start, start + length);
}

function isCollection(value: Value): value is ReadonlySet<string> {
  return typeof value === 'object' && value !== null;
}

function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isCollection(a) && isCollection(b)) {
    if (a.size !== b.size) return false;
    for (const item of a) if (!b.has(item)) return false;
    return true;
  }
  return false;
}
