/**
 * Spans a translation must carry through unchanged (URLs, e-mail addresses, numbers,
 * emoji and other symbols, code-like tokens, names the model cannot know), swapped for
 * placeholders before translating and put back after. A placeholder is one of the
 * control characters U+0001…U+0008: the subword tokenizer spells it as one byte token
 * (`<0x01>` …) that no training sentence holds, so a model trained with such pairs
 * (`addVerbatimSpans`) learns to copy it to where the span belongs in the translation.
 * @module
 */
import type { Rendering } from "./expressions.ts";

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
const CODE = [
  String.raw`[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*\(\)`, // a call: fooBar(), a.b()
  String.raw`[\p{L}\p{N}]*_[\p{L}\p{N}_]+`, // snake_case
  String.raw`\p{Ll}+\p{Lu}[\p{L}\p{N}]*`, // camelCase, iPad
  String.raw`~?(?:\/\.?[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*){2,}\/?`, // /usr/local/bin
  String.raw`~(?:\/\.?[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*)+\/?`, // ~/.bashrc
  String.raw`[#@][\p{L}\p{N}_]+`, // #hashtag, @mention
  String.raw`[\p{L}\p{N}_-]{2,}\.[a-z][a-z0-9]{0,3}(?![\p{L}\p{N}])`, // a file: README.md
  String.raw`\p{Lu}+-?\p{Nd}+[\p{L}\p{N}-]*`, // a code: A-113, B12
  String.raw`\p{Nd}+\p{L}+(?![\p{L}\p{N}])`, // 12B, 5pm
].join("|");
// Digit groups with their separators; groups split by one space ("+1 555 1234") are one,
// and so is an area code in parentheses, a currency sign before and a percent sign after.
const NUMBER = String
  .raw`\p{Sc}?(?:\(\p{Nd}+\) ?)?[+-]?\p{Nd}+(?:(?:[.,:\/-]| (?=\p{Nd}))\p{Nd}+)*%?`;
const SYMBOL = [
  String.raw`(?:\p{Extended_Pictographic}|\p{So}|\p{Regional_Indicator})`,
  String
    .raw`(?:[\u200d\ufe0f\u20e3]|\p{Emoji_Modifier}|\p{Extended_Pictographic}|\p{So}|\p{Regional_Indicator})*`,
].join("");
const WORD = String.raw`\p{L}[\p{L}\p{M}]*(?:['’]\p{L}+)*`;
// Anything else that is neither a letter, a digit, a space nor everyday punctuation:
// operators (| * + = < >), currency and math signs, brackets, marks on nothing. The model
// has seen too few of them to translate them, so they are carried through as written.
const OTHER = String.raw`[^\p{L}\p{N}\s.,;:!?¿¡'"’‘“”«»()\-–—…\/]+`;
// Capitalized words in a row ("Barack Obama"): one name when any of them is one.
// (Not a code or file name: "A-113", "README.md".)
const CAPITALIZED = String.raw`\p{Lu}[\p{L}\p{M}]+(?:['’]\p{L}+)?(?![.-]?[\p{L}\p{N}])`;
const NAMES = String.raw`${CAPITALIZED}(?: ${CAPITALIZED})+`;
const SPAN = new RegExp(
  `(${URL})|(${EMAIL})|(${CODE})|(${NUMBER})|(${SYMBOL})|(${NAMES})|(${WORD})|(${OTHER})`,
  "gu",
);

/** Decides whether a word is a name the model cannot translate (carried through). */
export type NameTest = (word: string, sentenceStart: boolean) => boolean;

// Runs of letters (with their marks): the words knownWords counts and copiedNames compares.
const LETTER_RUNS = /\p{L}[\p{L}\p{M}]*/gu;

/**
 * The words (lowercase) a model saw at least `minCount` times in its training sources: the
 * ones it can be expected to translate. Saved with a model trained with placeholders.
 */
export function knownWords(sources: Iterable<string>, minCount = 3): string[] {
  const counts = new Map<string, number>();
  for (const s of sources) {
    for (const m of s.matchAll(LETTER_RUNS)) {
      const w = m[0].toLowerCase();
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return [...counts].filter(([, n]) => n >= minCount).map(([w]) => w).sort();
}

/**
 * Capitalized words inside source sentences (not the first word) that the target of the
 * same pair writes the same way in at least half of the pairs that hold them, and that the
 * sources never write in lowercase, as written:
 * names a translation carries over unchanged (Madrid, Yokohama), unlike the capitalized
 * words it translates (Thursday → jueves, Moscow → Moscú).
 */
export function copiedNames(pairs: Iterable<{ source: string; target: string }>): string[] {
  const seen = new Map<string, number>(), copied = new Map<string, number>();
  const lower = new Set<string>();
  for (const { source, target } of pairs) {
    const words = [...source.matchAll(LETTER_RUNS)].map((m) => m[0]);
    for (const w of words) if (/^\p{Ll}/u.test(w)) lower.add(w);
    const inside = new Set(words.filter((w, i) => i > 0 && /^\p{Lu}\p{Ll}/u.test(w)));
    if (inside.size === 0) continue;
    const there = new Set([...target.matchAll(LETTER_RUNS)].map((m) => m[0]));
    for (const w of inside) {
      seen.set(w, (seen.get(w) ?? 0) + 1);
      if (there.has(w)) copied.set(w, (copied.get(w) ?? 0) + 1);
    }
  }
  // A word also written in lowercase is a common word as well (Apple, apple): not a name.
  return [...seen]
    .filter(([w, n]) => 2 * (copied.get(w) ?? 0) >= n && !lower.has(w.toLowerCase()))
    .map(([w]) => w).sort();
}

/**
 * A copied name (see {@linkcode copiedNames}) that the vocabulary spells in this many pieces
 * or more is carried through rather than translated: the model has no token for it and
 * spells it piece by piece, and a name it saw a few times comes out misspelled or running
 * on ("Madrid" → "Madrilil"). Names with a token of their own (Tom, Tokyo) it translates
 * well. Measured on the shipped en→es model: test BLEU (beam 4) 51.6 → 51.7, the everyday
 * set's (reranked) 63.2 → 63.4.
 */
export const CARRIED_NAME_PIECES = 3;

/**
 * The words (lowercase) a model trained on `pairs` is taken to know, for
 * {@linkcode unknownNames}: {@linkcode knownWords} of the sources, less the copied names
 * that the model's source `codec` spells in {@linkcode CARRIED_NAME_PIECES} tokens or more.
 */
export function verbatimKnownWords(
  pairs: readonly { source: string; target: string }[],
  codec: { tokenize(text: string): string[] },
): string[] {
  const pieces = (w: string) => codec.tokenize(` ${w}`).length;
  const carried = new Set(
    copiedNames(pairs).filter((w) => pieces(w) >= CARRIED_NAME_PIECES).map((w) => w.toLowerCase()),
  );
  return knownWords(pairs.map((p) => p.source)).filter((w) => !carried.has(w));
}

/**
 * The name test of a model that knows the words `known` (lowercase): a capitalized word
 * it has not seen, as written or without a plural or possessive ending, is a name.
 */
export function unknownNames(known: ReadonlySet<string>): NameTest {
  const seen = (w: string) =>
    [w, w.replace(/['’]s$/u, ""), w.replace(/s$/u, ""), w.replace(/es$/u, "")].some((x) =>
      known.has(x)
    );
  return (word) =>
    /^\p{Lu}/u.test(word) && word.length > 1 &&
    !word.toLowerCase().split(/['’]/u).some((part, i, all) =>
      // "Let's", "We've": a known word before the apostrophe is known.
      i === 0 && all.length > 1 ? known.has(part) : false
    ) && !seen(word.toLowerCase());
}

/** A text with its spans replaced by placeholders, and the spans in order. */
export interface MaskedText {
  /** The text with placeholder characters (U+0001 …) where the spans were. */
  text: string;
  /** The spans, in placeholder order: `spans[0]` for U+0001. */
  spans: string[];
  /**
   * How often each placeholder occurs in `text` (a span written twice is one placeholder,
   * twice), when any occurs more than once.
   */
  counts?: number[];
  /** Spans beyond {@linkcode MAX_SPANS}, left in the text as written (checked after). */
  overflow?: string[];
}

// Marks around a span while the text is scanned: placeholder characters, which the text
// no longer holds, so they cannot clash with it.
const OPEN = "\u0001", CLOSE = "\u0002";
// Private-use characters that stand for rendered expressions while the text is scanned.
const SENTINEL = 0xe000;
const SENTINELS = /[\ue000-\ue0ff]/u, SENTINELS_ALL = /[\ue000-\ue0ff]/gu;

/**
 * Replaces what must not be translated by placeholders: URLs, e-mail addresses, code-like
 * tokens, numbers with their separators, runs of emoji and symbols (operators, currency,
 * math, arrows: whatever is neither a letter, a digit nor everyday punctuation), and words
 * `isName` calls names. Spans with only spaces between them are one span ("2 + 2 = 4"), so
 * the model places a formula as a whole. Placeholder characters already in the text are
 * dropped. At most {@linkcode MAX_SPANS} spans; later ones stay as they are, listed in
 * `overflow`.
 */
export function maskSpans(
  text: string,
  isName: NameTest = () => false,
  expressions?: (text: string) => Rendering[],
): MaskedText {
  let clean = text.replace(PLACEHOLDERS, "");
  // Expressions with a fixed translation stand in the text as one private-use character
  // each (a symbol, so a span of their own) until the spans are collected.
  const rendered = expressions && !SENTINELS.test(clean) ? expressions(clean) : [];
  for (let i = rendered.length - 1; i >= 0; i--) {
    const r = rendered[i];
    clean = clean.slice(0, r.start) + String.fromCharCode(SENTINEL + i) + clean.slice(r.end);
  }
  const render = (span: string) =>
    rendered.length
      ? span.replace(SENTINELS_ALL, (ch) => rendered[ch.charCodeAt(0) - SENTINEL].spanish)
      : span;
  const wrap = (span: string) => OPEN + span + CLOSE;
  // A name's possessive ending stays outside its span, for the model to translate
  // ("Picasso's paintings" → "las pinturas de Picasso", not "Picasso's pinturas").
  const wrapName = (name: string) => {
    const own = /['’]s$/u.exec(name);
    return own && own.index > 0 ? wrap(name.slice(0, own.index)) + own[0] : wrap(name);
  };
  const marked = clean.replace(
    SPAN,
    (m, url, email, code, num, sym, names, word, other, at: number) => {
      const start = /(^|[.!?¿¡:])$/u.test(clean.slice(0, at).trimEnd());
      if (url || email || code || num || sym || other) return wrap(m);
      if (names) {
        // A known word that starts the sentence ("Tell Barack Obama") is not part of it.
        const words = (names as string).split(" ");
        const skip = start && !isName(words[0], true) ? 1 : 0;
        if (!words.slice(skip).some((w, i) => isName(w, start && i + skip === 0))) return m;
        const name = wrapName(words.slice(skip).join(" "));
        return skip ? `${words[0]} ${name}` : name;
      }
      return word && isName(word, start) ? wrapName(m) : m;
    },
  ).replace(new RegExp(`${CLOSE}([ \t]*)${OPEN}`, "gu"), "$1");
  const spans: string[] = [], counts: number[] = [], overflow: string[] = [];
  const masked = marked.replace(new RegExp(`${OPEN}([^${CLOSE}]*)${CLOSE}`, "gu"), (_, found) => {
    const span = render(found);
    const same = spans.indexOf(span);
    if (same >= 0) {
      counts[same]++;
      return placeholder(same);
    }
    if (spans.length >= MAX_SPANS) {
      overflow.push(span);
      return span;
    }
    spans.push(span);
    counts.push(1);
    return placeholder(spans.length - 1);
  });
  return {
    text: masked,
    spans,
    ...(counts.some((n) => n > 1) ? { counts } : {}),
    ...(overflow.length ? { overflow } : {}),
  };
}

/** What the model reads of `text`: its masked form when it has spans, else the text itself. */
export function maskedOrText(text: string, masked: MaskedText | undefined): string {
  return masked?.spans.length ? masked.text : text;
}

/** True when a masked text holds nothing to translate: only placeholders, spaces, punctuation. */
export function onlySpans(masked: MaskedText): boolean {
  return masked.spans.length > 0 && !/[\p{L}\p{N}]/u.test(masked.text.replace(PLACEHOLDERS, ""));
}

// Control characters (tab and line feed excepted; the placeholders among them), and the
// replacement character a byte token that is not UTF-8 decodes to: never part of a
// translation but as a span the source had.
// deno-lint-ignore no-control-regex -- removing control characters is the point
const NOT_TEXT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD]/gu;

// How the Spanish of a rendered expression starts when it leads with an article or a
// preposition (expressions.ts).
const RENDERED_LEAD =
  /^(?:el|la|al|del|a|con|para|por|hasta|desde|antes de|después de|sobre|en|y) \S/u;

/**
 * Puts the spans back into a translation of the masked text: each placeholder becomes its
 * span (as often as the source had it; a repeat the model invented is dropped); a span the
 * translation lost is added before its final punctuation, so nothing the user wrote
 * disappears. An overflow span (left unmasked) the translation does not hold is added the
 * same way. Whatever else is a control character is removed: the output holds no
 * placeholder, and no control character, whatever the model produced.
 *
 * @example
 * ```ts ignore
 * unmaskSpans("Usa el operador \u0001.", ["|"]) // "Usa el operador |."
 * ```
 */
export function unmaskSpans(
  translation: string,
  spans: readonly string[],
  opts: { counts?: readonly number[]; overflow?: readonly string[] } = {},
): string {
  const left = spans.map((_, i) => opts.counts?.[i] ?? 1);
  let out = translation.replace(NOT_TEXT, (ch) => {
    const i = ch.charCodeAt(0) - 1;
    if (i < 0 || i >= spans.length || left[i] === 0) return ""; // not a placeholder, or not ours
    left[i]--;
    return spans[i];
  });
  const lost = spans.flatMap((span, i) => Array(left[i]).fill(span) as string[]);
  for (const span of opts.overflow ?? []) if (!out.includes(span)) lost.push(span);
  if (lost.length) {
    const m = /^(.*?)(\s*[.!?…]*)$/su.exec(out)!;
    out = `${m[1]}${m[1] ? " " : ""}${lost.join(" ")}${m[2]}`;
  }
  // Placeholders can leave the model's spacing around them uneven: "¡ feliz …", "… 🎉 !".
  out = out.replace(/ {2,}/g, " ").replace(/([¡¿]) /gu, "$1").replace(/ ([.,!?;:…])/gu, "$1")
    .trim();
  for (const span of new Set(spans)) {
    if (!out.includes(span)) continue;
    const at = escape(span);
    // The model's own preposition before a rendered one ("a a las 9", "en el 3 de mayo"),
    // and "a el" / "de el", which Spanish contracts.
    if (RENDERED_LEAD.test(span)) {
      out = out.replace(
        new RegExp(`(^|[\\s¿¡])(a|en|de|desde|hasta|para|por|con) (${at})`, "gu"),
        (_, pre, prep: string, s: string) =>
          pre + (/^el /.test(s) && (prep === "a" || prep === "de") ? `${prep}l ${s.slice(3)}` : s),
      );
    }
    // "p. m." that ended the source sentence, then the model's own full stop.
    if (span.endsWith(".")) out = out.replace(new RegExp(`(${at})\\.(?!\\.)`, "gu"), "$1");
  }
  // A rendered expression that opens the sentence ("el Dr. López …", "a las 9 …") starts
  // with a capital there, as the rest of the translation would.
  const first = /^[¿¡]?\p{Ll}/u.exec(out);
  if (
    first && spans.some((s) => RENDERED_LEAD.test(s) && out.replace(/^[¿¡]/u, "").startsWith(s))
  ) {
    const at = first[0].length - 1;
    out = out.slice(0, at) + out[at].toUpperCase() + out.slice(at + 1);
  }
  return out;
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
