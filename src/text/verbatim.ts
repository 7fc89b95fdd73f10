/**
 * Spans a translation must carry through unchanged (URLs, e-mail addresses, numbers,
 * emoji and other symbols, code-like tokens, names the model cannot know), swapped for
 * placeholders before translating and put back after. A placeholder is one of the
 * control characters U+0001…U+0008: the subword tokenizer spells it as one byte token
 * (`<0x01>` …) that no training sentence holds, so a model trained with such pairs
 * (`addVerbatimSpans`) learns to copy it to where the span belongs in the translation.
 * @module
 */

/** Most spans one sentence can carry (one placeholder character each). */
export const MAX_SPANS = 8;

/** The placeholder of span `i` (0-based). */
export function placeholder(i: number): string {
  return String.fromCharCode(1 + i);
}

// deno-lint-ignore no-control-regex -- the placeholders are control characters on purpose
const PLACEHOLDERS = /[\u0001-\u0008]/gu;

// Kinds of span, tried in this order at each position.
const URL = String.raw`(?:https?:\/\/|www\.)[^\s<>"]+[^\s<>".,;:!?)\]}'’]`;
const EMAIL = String.raw`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+`;
const CODE = String
  .raw`[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*\(\)|[\p{L}\p{N}]*_[\p{L}\p{N}_]+|\p{Ll}+\p{Lu}[\p{L}\p{N}]*|(?:\/[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*){2,}\/?|[#@][\p{L}\p{N}_]+|[\p{L}\p{N}_-]{2,}\.[a-z][a-z0-9]{0,3}(?![\p{L}\p{N}])`;
// Digit groups with their separators; groups split by one space ("+1 555 1234") are one.
const NUMBER = String.raw`[+-]?\p{Nd}+(?:(?:[.,:\/-]| (?=\p{Nd}))\p{Nd}+)*`;
const SYMBOL = String
  .raw`(?:\p{Extended_Pictographic}|\p{So}|\p{Regional_Indicator})(?:[\u200d\ufe0f\u20e3]|\p{Emoji_Modifier}|\p{Extended_Pictographic}|\p{So}|\p{Regional_Indicator})*`;
const WORD = String.raw`\p{L}[\p{L}\p{M}]*(?:['’]\p{L}+)*`;
const SPAN = new RegExp(`(${URL})|(${EMAIL})|(${CODE})|(${NUMBER})|(${SYMBOL})|(${WORD})`, "gu");

/** Decides whether a word is a name the model cannot translate (carried through). */
export type NameTest = (word: string, sentenceStart: boolean) => boolean;

/** A text with its spans replaced by placeholders, and the spans in order. */
export interface MaskedText {
  text: string;
  spans: string[];
}

/**
 * Replaces what must not be translated by placeholders: URLs, e-mail addresses, code-like
 * tokens, numbers with their separators, runs of emoji and symbols, and words `isName`
 * calls names. Placeholder characters already in the text are dropped. At most
 * {@linkcode MAX_SPANS} spans; later ones stay as they are.
 */
export function maskSpans(text: string, isName: NameTest = () => false): MaskedText {
  const spans: string[] = [];
  const clean = text.replace(PLACEHOLDERS, "");
  let first = true;
  const masked = clean.replace(SPAN, (m, url, email, code, num, sym, word, at: number) => {
    const start = first || /[.!?¿¡:]\s*$/u.test(clean.slice(0, at)) ||
      /^\s*$/u.test(clean.slice(0, at));
    first = false;
    const carry = url || email || code || num || sym || (word && isName(word, start));
    if (!carry || spans.length >= MAX_SPANS) return m;
    const same = spans.indexOf(m);
    if (same >= 0) return placeholder(same);
    spans.push(m);
    return placeholder(spans.length - 1);
  });
  return { text: masked, spans };
}

/** True when a masked text holds nothing to translate: only placeholders, spaces, punctuation. */
export function onlySpans(masked: MaskedText): boolean {
  return masked.spans.length > 0 && !/[\p{L}\p{N}]/u.test(masked.text.replace(PLACEHOLDERS, ""));
}

/**
 * Puts the spans back into a translation of the masked text: each placeholder becomes its
 * span (a repeated one is kept once); a span the translation lost is added before its
 * final punctuation, so nothing the user wrote disappears.
 */
export function unmaskSpans(translation: string, spans: readonly string[]): string {
  const seen = new Set<number>();
  let out = translation.replace(PLACEHOLDERS, (ch) => {
    const i = ch.charCodeAt(0) - 1;
    if (i >= spans.length || seen.has(i)) return "";
    seen.add(i);
    return spans[i];
  });
  const lost = spans.filter((_, i) => !seen.has(i));
  if (lost.length) {
    const m = /^(.*?)(\s*[.!?…]*)$/su.exec(out)!;
    out = `${m[1]}${m[1] ? " " : ""}${lost.join(" ")}${m[2]}`;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

// Tokens a sentence pair may share verbatim: numbers, capitalized words, other spans.
const SHARED = new RegExp(`${URL}|${EMAIL}|${NUMBER}|${SYMBOL}|\\p{Lu}[\\p{L}\\p{M}]+`, "gu");

/**
 * A training pair with the tokens both sides share verbatim (numbers, names, symbols)
 * replaced by the same placeholders on both sides; undefined when they share none.
 */
export function maskSharedSpans(
  source: string,
  target: string,
): { source: string; target: string } | undefined {
  const spans: string[] = [];
  for (const m of source.matchAll(SHARED)) {
    const t = m[0];
    if (spans.length < MAX_SPANS && !spans.includes(t) && wholeIn(target, t)) spans.push(t);
  }
  if (spans.length === 0) return undefined;
  // Longest first, so a span inside another is not replaced within it.
  const order = spans.map((t, i) => [t, i] as const).sort((a, b) => b[0].length - a[0].length);
  let s = source, t = target;
  for (const [span, i] of order) {
    s = replaceWhole(s, span, placeholder(i));
    t = replaceWhole(t, span, placeholder(i));
  }
  return { source: s, target: t };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const whole = (span: string) =>
  new RegExp(`(?<![\\p{L}\\p{N}])${escape(span)}(?![\\p{L}\\p{N}])`, "gu");

function wholeIn(text: string, span: string): boolean {
  return whole(span).test(text);
}

function replaceWhole(text: string, span: string, by: string): string {
  return text.replace(whole(span), by);
}
