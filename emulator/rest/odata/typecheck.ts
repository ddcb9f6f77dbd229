import { FILTER_IDENTIFIERS, type FilterNode, type ValueType } from './ast.js';
import { FilterError } from './filterError.js';
import { printFilter } from './print.js';

/**
 * Static type check of a parsed filter. Everything the service would reject for some connection
 * is rejected here, once, before any message goes out; the compiled predicate can then run on
 * every connection without a single failure path.
 *
 * Messages follow the service: `Type 'string', expect 'int'.` for a mistyped operand,
 * `Token 'x' is not supported.` for unknown names, `Invalid token 'f(...)'.` for a known
 * function called wrongly. Type errors point at the operation that found them; unknown names
 * are claimed by the nearest enclosing comparison, `in`, logical operator or call.
 */
export function checkFilter(root: FilterNode): void {
  const type = typeOf(root);
  if (type !== 'bool') throw mismatch(type, 'bool', root);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function typeOf(node: FilterNode): ValueType {
  switch (node.kind) {
    case 'literal':
      return literalType(node);
    case 'identifier': {
      const type = FILTER_IDENTIFIERS.get(node.name.toLowerCase());
      if (type === undefined) throw notSupported(node);
      return type;
    }
    case 'binary':
      return claim(node, () => binaryType(node));
    case 'not': {
      const operand = typeOf(node.operand);
      if (operand !== 'bool') throw mismatch(operand, 'bool', node);
      return 'bool';
    }
    case 'in':
      return claim(node, () => inType(node));
    case 'list':
      // Only reachable as the right side of `in`, which handles lists itself.
      throw new FilterError(`A list is only allowed after 'in'.`, node);
    case 'call':
      return claim(node, () => callType(node));
  }
}

function literalType(node: Extract<FilterNode, { kind: 'literal' }>): ValueType {
  const { value } = node;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  // Integers are 32-bit in the service; larger numbers are another OData type it does not take.
  if (!Number.isSafeInteger(value) || value < INT32_MIN || value > INT32_MAX) throw notSupported(node);
  return 'int';
}

function binaryType(node: Extract<FilterNode, { kind: 'binary' }>): ValueType {
  const left = typeOf(node.left);
  const right = typeOf(node.right);
  switch (node.operator) {
    case 'and':
    case 'or':
      requireType(left, ['bool'], node);
      requireType(right, ['bool'], node);
      return 'bool';
    case 'eq':
    case 'ne':
      return 'bool';
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      // Ordering is defined on integers only; `null` operands make the comparison false.
      requireType(left, ['int', 'null'], node);
      requireType(right, ['int', 'null'], node);
      return 'bool';
  }
}

function inType(node: Extract<FilterNode, { kind: 'in' }>): ValueType {
  const left = typeOf(node.left);
  if (left === 'collection') throw mismatch(left, 'string', node);
  const { right } = node;
  if (right.kind === 'list') {
    const itemTypes = right.items.map(typeOf);
    // `'g' in (groups)` is a parenthesized collection, not a one-item list.
    if (itemTypes.length === 1 && itemTypes[0] === 'collection') return 'bool';
    for (const type of itemTypes) {
      if (type === 'collection') throw mismatch(type, 'string', node);
    }
    return 'bool';
  }
  const rightType = typeOf(right);
  if (rightType !== 'collection') throw mismatch(rightType, 'collection', node);
  return 'bool';
}

type CallNode = Extract<FilterNode, { kind: 'call' }>;

interface FunctionSignature {
  readonly arities: readonly number[];
  /** Checks argument types (already computed) and returns the result type. */
  readonly check: (args: readonly ValueType[], node: CallNode) => ValueType;
}

const stringArgs = (result: ValueType) => (args: readonly ValueType[], node: CallNode): ValueType => {
  for (const arg of args) requireType(arg, ['string', 'null'], node);
  return result;
};

const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map<string, FunctionSignature>([
  ['tolower', { arities: [1], check: stringArgs('string') }],
  ['toupper', { arities: [1], check: stringArgs('string') }],
  ['trim', { arities: [1], check: stringArgs('string') }],
  ['contains', { arities: [2], check: stringArgs('bool') }],
  ['startswith', { arities: [2], check: stringArgs('bool') }],
  ['endswith', { arities: [2], check: stringArgs('bool') }],
  ['indexof', { arities: [2], check: stringArgs('int') }],
  ['concat', { arities: [2], check: stringArgs('string') }],
  [
    'substring',
    {
      arities: [2, 3],
      check: ([text = 'null', ...numbers], node) => {
        requireType(text, ['string', 'null'], node);
        for (const number of numbers) requireType(number, ['int'], node);
        return 'string';
      },
    },
  ],
  [
    'length',
    {
      arities: [1],
      check: ([arg = 'null'], node) => {
        if (arg !== 'string' && arg !== 'null' && arg !== 'collection') throw invalidToken(node);
        return 'int';
      },
    },
  ],
]);

function callType(node: CallNode): ValueType {
  const signature = FUNCTIONS.get(node.name);
  if (signature === undefined) throw notSupported(node);
  if (!signature.arities.includes(node.args.length)) throw invalidToken(node);
  return signature.check(node.args.map(typeOf), node);
}

/** Runs `check`; an error that does not point anywhere yet is pinned to `node`. */
function claim(node: FilterNode, check: () => ValueType): ValueType {
  try {
    return check();
  } catch (error) {
    if (error instanceof FilterError && error.node === undefined) throw error.at(node);
    throw error;
  }
}

function requireType(actual: ValueType, allowed: readonly ValueType[], node: FilterNode): void {
  if (!allowed.includes(actual)) throw mismatch(actual, allowed[0] ?? 'bool', node);
}

function mismatch(actual: ValueType, expected: ValueType, node: FilterNode): FilterError {
  return new FilterError(`Type '${actual}', expect '${expected}'.`, node);
}

function notSupported(node: FilterNode): FilterError {
  return new FilterError(`Token '${printFilter(node)}' is not supported.`);
}

function invalidToken(node: FilterNode): FilterError {
  return new FilterError(`Invalid token '${printFilter(node)}'.`);
}
