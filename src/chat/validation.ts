/** The outcome of validating input that arrived as `unknown`. */
export type Validation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly reason: string };

export function valid<T>(value: T): Validation<T> {
  return { ok: true, value };
}

export function invalid<T>(code: string, reason: string): Validation<T> {
  return { ok: false, code, reason };
}

/** Counts code points, so an emoji counts as one character like people expect. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Characters that are never accepted in chat text: control characters other than tab and line
 * feed, lone surrogates, and the bidi embedding/override/isolate controls (they reorder what
 * follows them on screen, which lets one message disguise itself or the next one).
 */
export const FORBIDDEN_CHARACTERS = /[^\P{Cc}\t\n]|\p{Cs}|[\u202A-\u202E\u2066-\u2069]/u;
