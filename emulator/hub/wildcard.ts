/**
 * Wildcard group patterns of the `webpubsub.joinLeaveGroups.{pattern}` and
 * `webpubsub.sendToGroups.{pattern}` roles: `?` is one character other than `.`, `*` a run without
 * `.`, `**` any run, and `\` escapes `\`, `*` and `?`. Matching is case-sensitive.
 *
 * Matching is a dynamic program over (pattern token, text position), so its cost is bounded by
 * their product whatever the input; no regular expression can backtrack.
 */

export const MAX_STARS_PER_PATTERN = 5;

type Token = { readonly kind: 'char'; readonly char: string } | { readonly kind: 'one' } | { readonly kind: 'run' } | { readonly kind: 'any' };

export interface WildcardPattern {
  readonly source: string;
  matches(text: string): boolean;
}

/** Undefined when the pattern is malformed (dangling escape, too many stars, empty). */
export function compileWildcard(source: string): WildcardPattern | undefined {
  const tokens: Token[] = [];
  let stars = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i] ?? '';
    if (char === '\\') {
      const next = source[i + 1];
      if (next !== '\\' && next !== '*' && next !== '?') return undefined;
      tokens.push({ kind: 'char', char: next });
      i++;
    } else if (char === '?') {
      tokens.push({ kind: 'one' });
    } else if (char === '*') {
      if (source[i + 1] === '*') {
        stars += 2;
        i++;
        tokens.push({ kind: 'any' });
      } else {
        stars += 1;
        tokens.push({ kind: 'run' });
      }
    } else {
      tokens.push({ kind: 'char', char });
    }
  }
  if (tokens.length === 0 || stars > MAX_STARS_PER_PATTERN) return undefined;
  return { source, matches: (text) => matchTokens(tokens, text) };
}

function matchTokens(tokens: readonly Token[], text: string): boolean {
  // reachable[j]: the tokens consumed so far can match text[0..j).
  let reachable = new Uint8Array(text.length + 1);
  reachable[0] = 1;
  for (const token of tokens) {
    const next = new Uint8Array(text.length + 1);
    for (let j = 0; j <= text.length; j++) {
      if (token.kind === 'run' || token.kind === 'any') {
        // A star may match nothing, or extend a match by one more allowed character.
        if (reachable[j] === 1 || (j > 0 && next[j - 1] === 1 && (token.kind === 'any' || text[j - 1] !== '.'))) next[j] = 1;
      } else if (j > 0 && reachable[j - 1] === 1) {
        const char = text[j - 1];
        if (token.kind === 'one' ? char !== '.' : char === token.char) next[j] = 1;
      }
    }
    reachable = next;
  }
  return reachable[text.length] === 1;
}
