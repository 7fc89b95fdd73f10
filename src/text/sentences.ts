/**
 * Splitting text into sentences, and over-long sentences into pieces a model can take.
 * The models here learned from single sentences, so a pasted paragraph is translated
 * sentence by sentence and joined again.
 * @module
 */

// Words that end in a period without ending a sentence.
const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "sra",
  "jr",
  "st",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "a.m",
  "p.m",
  "u.s",
  "u.k",
  "no",
  "vol",
  "fig",
  "approx",
  "dept",
  "mt",
]);

// A sentence end: terminal punctuation, closing quotes or brackets, then space, then
// something that can start a sentence (a capital, a digit, an opening mark).
const BOUNDARY = /([.!?…]+["'”’»)\]]*)(\s+)(?=[\p{Lu}\p{N}¿¡"'“‘«(\[])/gu;

/**
 * The sentences of `text`, trimmed; one sentence (or none, for blank text) when it has
 * no sentence boundary. Abbreviations ("Mr.", "e.g.") and initials ("J. K.") do not end a
 * sentence.
 *
 * @example
 * ```ts
 * import { splitSentences } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(splitSentences("I am hungry. Where is Mr. Smith?"), ["I am hungry.", "Where is Mr. Smith?"]);
 * ```
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    const end = m.index! + m[1].length;
    const before = text.slice(start, m.index!);
    const lastWord = /([\p{L}.]+)$/u.exec(before)?.[1] ?? "";
    if (m[1].startsWith(".") && m[1].length === 1) {
      if (ABBREVIATIONS.has(lastWord.toLowerCase()) || /^\p{Lu}$/u.test(lastWord)) continue;
    }
    const s = text.slice(start, end).trim();
    if (s) out.push(s);
    start = end + m[2].length;
  }
  const rest = text.slice(start).trim();
  if (rest) out.push(rest);
  return out;
}

/**
 * Splits a sentence into consecutive pieces for which `fits` holds: at clause marks
 * (, ; :) first, then between words, then (for a single enormous word) between
 * characters. Pieces are as long as `fits` allows, so short sentences stay whole.
 */
export function splitToFit(sentence: string, fits: (piece: string) => boolean): string[] {
  if (fits(sentence)) return [sentence];
  const levels = [/(?<=[,;:])\s+/u, /\s+/u];
  for (const sep of levels) {
    const parts = sentence.split(sep).filter((p) => p.length > 0);
    if (parts.length < 2) continue;
    return packParts(parts, " ", fits).flatMap((p) => splitToFit(p, fits));
  }
  const chars = [...sentence];
  if (chars.length < 2) return [sentence];
  return packParts(chars, "", fits).flatMap((p) =>
    p === sentence ? [p] : fits(p) ? [p] : splitToFit(p, fits)
  );
}

// Greedily joins consecutive parts while the joined piece still fits; a part that does
// not fit alone becomes a piece of its own (split further by the caller).
function packParts(parts: string[], glue: string, fits: (piece: string) => boolean): string[] {
  const out: string[] = [];
  let current = "";
  for (const p of parts) {
    const joined = current ? current + glue + p : p;
    if (!current || fits(joined)) current = joined;
    else {
      out.push(current);
      current = p;
    }
    if (!fits(current)) {
      out.push(current);
      current = "";
    }
  }
  if (current) out.push(current);
  return out;
}
