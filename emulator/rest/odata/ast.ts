/**
 * The syntax tree of a Web PubSub OData filter (`reference-odata-filter.md`). The parser builds
 * it, the checker types it, the compiler turns it into a predicate; nothing ever evaluates text.
 */

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type LogicalOperator = 'and' | 'or';
export type BinaryOperator = ComparisonOperator | LogicalOperator;

export type LiteralValue = string | number | boolean | null;

export type FilterNode =
  | { readonly kind: 'literal'; readonly value: LiteralValue; readonly text: string; readonly position: number }
  | { readonly kind: 'identifier'; readonly name: string; readonly position: number }
  | { readonly kind: 'binary'; readonly operator: BinaryOperator; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'in'; readonly left: FilterNode; readonly right: FilterNode }
  /** A parenthesized, comma-separated list; only valid as the right operand of `in`. */
  | { readonly kind: 'list'; readonly items: readonly FilterNode[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly FilterNode[]; readonly position: number };

/** The static type of an expression; `null` is the type of the `null` literal only. */
export type ValueType = 'bool' | 'int' | 'string' | 'collection' | 'null';

/** The connection properties a filter can name, with their types. Names are case-insensitive. */
export const FILTER_IDENTIFIERS: ReadonlyMap<string, ValueType> = new Map<string, ValueType>([
  ['userid', 'string'],
  ['connectionid', 'string'],
  ['groups', 'collection'],
  ['protocol', 'string'],
]);

export const COMPARISON_OPERATORS: ReadonlySet<string> = new Set<ComparisonOperator>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
