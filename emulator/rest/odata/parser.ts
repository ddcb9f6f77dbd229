import { COMPARISON_OPERATORS, type BinaryOperator, type FilterNode } from './ast.js';
import { FilterError } from './filterError.js';
import { tokenize, type Token } from './lexer.js';

/**
 * Recursive-descent parser for the filter grammar. Precedence, loosest first: `or`, `and`,
 * comparisons (`eq ne gt ge lt le`, left-associative), `not`, `in`, primaries. So
 * `not length(userId) gt 5` is `(not length(userId)) gt 5`, as in the service; write
 * `not (length(userId) gt 5)` instead.
 *
 * Bounded by design: the text length, the nesting depth (parentheses, `not`, calls) and the
 * number of clauses are capped, so a hostile filter costs at most linear work and never
 * exhausts the stack.
 */

/** Longer filters are refused before tokenizing. A URL cannot carry much more anyway. */
export const MAX_FILTER_LENGTH = 16 * 1024;
/** Nesting levels of parentheses, `not` and function calls (the service's OData parser uses 100). */
export const MAX_FILTER_DEPTH = 100;
/** Comparisons, `in` tests, boolean functions and literals; Azure warns at about 100. */
export const MAX_FILTER_CLAUSES = 100;

const KEYWORD_LITERALS: ReadonlyMap<string, boolean | null> = new Map([
  ['true', true],
  ['false', false],
  ['null', null],
]);

/** OData operators outside the Web PubSub grammar: named in the error instead of "unexpected". */
const UNSUPPORTED_OPERATORS: ReadonlySet<string> = new Set(['add', 'sub', 'mul', 'div', 'divby', 'mod', 'has']);

const BOOLEAN_FUNCTIONS: ReadonlySet<string> = new Set(['startswith', 'endswith', 'contains']);

export function parseFilter(filter: string): FilterNode {
  if (filter.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`The filter is ${filter.length} characters long; at most ${MAX_FILTER_LENGTH} are supported.`);
  }
  return new Parser(tokenize(filter)).parseAll();
}

class Parser {
  private index = 0;
  private depth = 0;
  private clauses = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): FilterNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token.kind !== 'end') throw this.unexpected(token);
    return node;
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.index++;
      left = { kind: 'binary', operator: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseComparison();
    while (this.isKeyword('and')) {
      this.index++;
      left = { kind: 'binary', operator: 'and', left, right: this.parseComparison() };
    }
    return left;
  }

  private parseComparison(): FilterNode {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'identifier') return left;
      if (UNSUPPORTED_OPERATORS.has(token.value)) {
        throw new FilterError(`The operator '${token.value}' at position ${token.position} is not supported.`);
      }
      if (!COMPARISON_OPERATORS.has(token.value)) return left;
      this.index++;
      this.countClause();
      left = { kind: 'binary', operator: token.value as BinaryOperator, left, right: this.parseUnary() };
    }
  }

  private parseUnary(): FilterNode {
    if (!this.isKeyword('not')) return this.parseIn();
    this.index++;
    this.enter();
    const operand = this.parseUnary();
    this.depth--;
    return { kind: 'not', operand };
  }

  private parseIn(): FilterNode {
    let left = this.parsePrimary();
    while (this.isKeyword('in')) {
      this.index++;
      this.countClause();
      const right = this.peek().kind === 'open' ? this.parseList() : this.parsePrimary();
      left = { kind: 'in', left, right };
    }
    return left;
  }

  private parseList(): FilterNode {
    this.expect('open', "'('");
    this.enter();
    const items: FilterNode[] = [];
    if (this.peek().kind !== 'close') {
      items.push(this.parseOr());
      while (this.peek().kind === 'comma') {
        this.index++;
        items.push(this.parseOr());
      }
    }
    this.expect('close', "')' or ','");
    this.depth--;
    return { kind: 'list', items };
  }

  private parsePrimary(): FilterNode {
    const token = this.next();
    switch (token.kind) {
      case 'open': {
        this.enter();
        const inner = this.parseOr();
        this.expect('close', "')'");
        this.depth--;
        return inner;
      }
      case 'string':
        return { kind: 'literal', value: token.value, text: token.text, position: token.position };
      case 'int':
        return { kind: 'literal', value: Number(token.text), text: token.text, position: token.position };
      case 'identifier':
        return this.parseIdentifier(token);
      case 'close':
      case 'comma':
      case 'end':
        throw new FilterError(`Expression expected at position ${token.position}.`);
    }
  }

  private parseIdentifier(token: Token): FilterNode {
    const name = token.value;
    if (KEYWORD_LITERALS.has(name)) {
      if (name !== 'null') this.countClause();
      return { kind: 'literal', value: KEYWORD_LITERALS.get(name) ?? null, text: name, position: token.position };
    }
    if (this.peek().kind !== 'open') {
      if (isOperatorKeyword(name)) throw new FilterError(`Expression expected at position ${token.position}.`);
      return { kind: 'identifier', name, position: token.position };
    }
    this.index++;
    this.enter();
    if (BOOLEAN_FUNCTIONS.has(name)) this.countClause();
    const args: FilterNode[] = [];
    if (this.peek().kind !== 'close') {
      args.push(this.parseOr());
      while (this.peek().kind === 'comma') {
        this.index++;
        args.push(this.parseOr());
      }
    }
    this.expect('close', "')' or ','");
    this.depth--;
    return { kind: 'call', name, args, position: token.position };
  }

  private enter(): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      throw new FilterError(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels at position ${this.peek().position}.`);
    }
  }

  private countClause(): void {
    this.clauses++;
    if (this.clauses > MAX_FILTER_CLAUSES) {
      throw new FilterError(`The filter has more than ${MAX_FILTER_CLAUSES} clauses.`);
    }
  }

  private isKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'identifier' && token.value === keyword;
  }

  private expect(kind: Token['kind'], what: string): void {
    const token = this.next();
    if (token.kind !== kind) throw new FilterError(`${what} expected at position ${token.position}.`);
  }

  private unexpected(token: Token): FilterError {
    return new FilterError(`Unexpected '${token.text}' at position ${token.position}.`);
  }

  private peek(): Token {
    // The token list always ends with an `end` token and the parser never moves past it.
    return this.tokens[this.index] ?? this.tokens[this.tokens.length - 1] ?? END;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }
}

const END: Token = { kind: 'end', text: '', value: '', position: 0 };

function isOperatorKeyword(name: string): boolean {
  return name === 'and' || name === 'or' || name === 'not' || name === 'in' || COMPARISON_OPERATORS.has(name);
}
