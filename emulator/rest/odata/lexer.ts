import { FilterError } from './filterError.js';

/**
 * Splits a filter into tokens with one left-to-right pass over the characters (no regular
 * expressions, so no backtracking on hostile input). Positions are 0-based character offsets.
 */

export type TokenKind = 'identifier' | 'string' | 'int' | 'open' | 'close' | 'comma' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token (for strings, with quotes and escapes). */
  readonly text: string;
  /** The unescaped content of a string literal; the name of an identifier. */
  readonly value: string;
  readonly position: number;
}

export function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const char = filter.charCodeAt(i);
    if (isSpace(char)) {
      i++;
      continue;
    }
    const start = i;
    if (char === OPEN || char === CLOSE || char === COMMA) {
      const kind = char === OPEN ? 'open' : char === CLOSE ? 'close' : 'comma';
      tokens.push({ kind, text: filter[i] ?? '', value: '', position: start });
      i++;
    } else if (char === QUOTE) {
      i = readString(filter, start, tokens);
    } else if (isDigit(char) || ((char === PLUS || char === MINUS) && isDigit(filter.charCodeAt(i + 1)))) {
      i++;
      while (isDigit(filter.charCodeAt(i))) i++;
      const text = filter.slice(start, i);
      tokens.push({ kind: 'int', text, value: text, position: start });
    } else if (isIdentifierStart(char)) {
      i++;
      while (isIdentifierPart(filter.charCodeAt(i))) i++;
      const text = filter.slice(start, i);
      tokens.push({ kind: 'identifier', text, value: text, position: start });
    } else {
      throw new FilterError(`Unexpected character '${filter[i] ?? ''}' at position ${start}.`);
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', position: filter.length });
  return tokens;
}

/** Reads `'...'` where `''` stands for one quote; returns the index after the closing quote. */
function readString(filter: string, start: number, tokens: Token[]): number {
  let value = '';
  let i = start + 1;
  let chunkStart = i;
  for (;;) {
    const next = filter.indexOf("'", i);
    if (next < 0) throw new FilterError(`Unterminated string literal at position ${start}.`);
    if (filter.charCodeAt(next + 1) === QUOTE) {
      value += filter.slice(chunkStart, next + 1);
      i = next + 2;
      chunkStart = i;
      continue;
    }
    value += filter.slice(chunkStart, next);
    tokens.push({ kind: 'string', text: filter.slice(start, next + 1), value, position: start });
    return next + 1;
  }
}

const OPEN = 0x28;
const CLOSE = 0x29;
const COMMA = 0x2c;
const QUOTE = 0x27;
const PLUS = 0x2b;
const MINUS = 0x2d;

function isSpace(char: number): boolean {
  return char === 0x20 || char === 0x09 || char === 0x0a || char === 0x0d;
}

function isDigit(char: number): boolean {
  return char >= 0x30 && char <= 0x39;
}

function isIdentifierStart(char: number): boolean {
  return (char >= 0x41 && char <= 0x5a) || (char >= 0x61 && char <= 0x7a) || char === 0x5f;
}

function isIdentifierPart(char: number): boolean {
  return isIdentifierStart(char) || isDigit(char);
}
