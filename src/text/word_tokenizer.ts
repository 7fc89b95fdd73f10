/**
 * Word-level tokenization as the textbook does it: lowercase, punctuation split off as
 * its own token, apostrophes inside words kept (`let's`, `don't`).
 * @module
 */

// A word: letters/digits with inner apostrophes; or any single other visible character.
const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

/**
 * Splits text into lowercase word and punctuation tokens.
 *
 * @example
 * ```ts
 * import { tokenizeWords } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(tokenizeWords("Let's go!"), ["let's", "go", "!"]);
 * deepEqual(tokenizeWords("¿Dónde está?"), ["¿", "dónde", "está", "?"]);
 * ```
 */
export function tokenizeWords(text: string): string[] {
  return (text.normalize("NFC").toLowerCase().replaceAll("’", "'").match(TOKEN) ?? []);
}

/**
 * Joins word tokens back into text: no space before closing punctuation or after
 * opening punctuation.
 *
 * @example
 * ```ts
 * import { detokenizeWords } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * equal(detokenizeWords(["¿", "dónde", "está", "?"]), "¿dónde está?");
 * ```
 */
export function detokenizeWords(tokens: readonly string[]): string {
  let out = "";
  for (const t of tokens) {
    const closing = /^[.,!?;:%)\]}»]$/.test(t);
    const afterOpening = /[¿¡(\[{«]$/.test(out);
    out += out && !closing && !afterOpening ? ` ${t}` : t;
  }
  return out;
}
