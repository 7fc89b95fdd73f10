/**
 * Parallel text: tab-separated `english<TAB>spanish` lines (extra columns ignored, as in
 * the Tatoeba/Anki export), and a seeded split into train/dev/test by source sentence,
 * so all translations of one sentence land on the same side.
 * @module
 */
import { maskSharedSpans, placeholder } from "../text/verbatim.ts";
import type { SentencePair } from "./train.ts";
import { seededRandom } from "../model/random.ts";
import { STATQUEST_PAIRS } from "./statquest_pairs.ts";
import { VamosError } from "../errors.ts";
import type { Direction } from "../text/languages.ts";

/**
 * The text of a data file: UTF-8, and no NUL bytes (a binary file is refused with one
 * line instead of being parsed as pairs of garbage).
 */
export function readUtf8Text(bytes: Uint8Array, name: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new VamosError(`${name} is not a text file (byte ${nul} is 0); give a UTF-8 TSV file`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new VamosError(`${name} is not UTF-8 text; give a UTF-8 TSV file`);
  }
}

/**
 * Parses TSV text (`english<TAB>spanish` lines; more columns are ignored, as in the
 * Tatoeba/Anki exports) into sentence pairs; a line without a tab is an error naming it.
 *
 * @example
 * ```ts
 * import { parseTsv } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(parseTsv("Go.\tVe.\tCC-BY\n"), [{ source: "Go.", target: "Ve." }]);
 * ```
 */
export function parseTsv(text: string, name = "the data"): SentencePair[] {
  const pairs: SentencePair[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const cols = line.split("\t");
    if (cols.length < 2 || cols[0].trim() === "" || cols[1].trim() === "") {
      throw new VamosError(
        `${name}, line ${i + 1}: expected "english<TAB>spanish", got ${
          JSON.stringify(line.slice(0, 60))
        }`,
      );
    }
    pairs.push({ source: cols[0].trim(), target: cols[1].trim() });
  });
  if (pairs.length === 0) throw new VamosError(`${name} has no sentence pairs`);
  return pairs;
}

/**
 * The pairs read in a direction: the data's columns are English, Spanish; "es-en" swaps
 * them, so the source is Spanish (and the split is by Spanish sentence).
 *
 * @example
 * ```ts
 * import { orientPairs } from "./data.ts";
 * orientPairs([{ source: "to go", target: "ir" }], "es-en"); // [{ source: "ir", target: "to go" }]
 * ```
 */
export function orientPairs(
  pairs: readonly SentencePair[],
  direction: Direction,
): SentencePair[] {
  return direction === "en-es"
    ? [...pairs]
    : pairs.map((p) => ({ source: p.target, target: p.source }));
}

/** Splits pairs by source sentence into train, dev and test with a fixed seed. */
export function splitBySource(
  pairs: readonly SentencePair[],
  opts: { dev: number; test: number; seed: number },
): { train: SentencePair[]; dev: SentencePair[]; test: SentencePair[] } {
  const groups = new Map<string, SentencePair[]>();
  for (const p of pairs) {
    const g = groups.get(p.source);
    if (g) g.push(p);
    else groups.set(p.source, [p]);
  }
  const keys = [...groups.keys()];
  const random = seededRandom(opts.seed);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const nDev = Math.round(keys.length * opts.dev), nTest = Math.round(keys.length * opts.test);
  const take = (ks: string[]) => ks.flatMap((k) => groups.get(k)!);
  return {
    dev: take(keys.slice(0, nDev)),
    test: take(keys.slice(nDev, nDev + nTest)),
    train: take(keys.slice(nDev + nTest)),
  };
}

/**
 * `train` without every pair that shares a sentence with `heldOut`, on either side. A model
 * trained the other way on these pairs has seen neither the sources nor the references of
 * `heldOut`, so it can score that direction's held-out translations (noisy-channel
 * reranking is measured on them) without having learned their answers.
 *
 * @example
 * ```ts
 * import { withoutSentencesOf } from "./data.ts";
 * const train = [{ source: "ir", target: "to go" }, { source: "vamos", target: "let's go" }];
 * withoutSentencesOf(train, [{ source: "let's go", target: "vámonos" }]); // [{ source: "ir", … }]
 * ```
 */
export function withoutSentencesOf(
  train: readonly SentencePair[],
  heldOut: readonly SentencePair[],
): SentencePair[] {
  const seen = new Set<string>();
  for (const p of heldOut) seen.add(p.source).add(p.target);
  return train.filter((p) => !seen.has(p.source) && !seen.has(p.target));
}

/**
 * The training part of `pairs` (read in the run's direction) as the run split it: with
 * `holdOutReverse`, also without the sentences of the other direction's dev and test
 * splits (see {@linkcode withoutSentencesOf}).
 */
export function trainingPairs(
  pairs: readonly SentencePair[],
  split: { dev: number; test: number; seed: number },
  holdOutReverse = false,
): SentencePair[] {
  const train = splitBySource(pairs, split).train;
  if (!holdOutReverse) return train;
  // Swapping the sides gives the pairs as the other direction reads them, in file order.
  const theirs = splitBySource(orientPairs(pairs, "es-en"), split);
  return withoutSentencesOf(train, [...theirs.dev, ...theirs.test]);
}

/** The augmentations of a run (see train.ts's --verbatim, --casual, --statquest-pairs). */
export interface Augmentation {
  verbatim?: number;
  casual?: number;
  textbook?: boolean;
  textbook_copies?: number;
  seed: number;
  direction?: Direction;
}

/**
 * The training pairs as a run trains on them: spans swapped for placeholders in a share of
 * them, casual variants added, the StatQuest pairs appended.
 */
export function augmentPairs(train: SentencePair[], run: Augmentation): SentencePair[] {
  let out = train;
  if (run.verbatim) out = addVerbatimSpans(out, run.verbatim, run.seed + 2);
  if (run.casual) out = addCasualVariants(out, run.casual, run.seed + 1);
  if (run.textbook) {
    out = [...out, ...statquestPairs(run.textbook_copies ?? 1, run.direction ?? "en-es")];
  }
  return out;
}

/**
 * Sentences typed the way people type: lowercase, no final period, exclamation or
 * question mark. Adds such a variant (same translation) for a `fraction` of the pairs,
 * chosen with `seed`, so "let's go" translates as well as "Let's go.".
 */
export function addCasualVariants(
  pairs: readonly SentencePair[],
  fraction: number,
  seed: number,
): SentencePair[] {
  const random = seededRandom(seed);
  const out = [...pairs];
  for (const p of pairs) {
    if (random() >= fraction) continue;
    // As typed: lowercase, no final mark, and no opening ¿ ¡ (Spanish typed casually).
    const casual = p.source.toLowerCase().replace(/^[¿¡]+/u, "").replace(/[.!?]+$/u, "").trim();
    if (casual && casual !== p.source) out.push({ source: casual, target: p.target });
  }
  return out;
}

/**
 * Pairs that teach carrying spans through (see `src/text/verbatim.ts`): of the pairs whose
 * sides share something verbatim (names, numbers, symbols), a `fraction`, chosen with
 * `seed`, have it replaced by the same placeholders on both sides, so each sits where the
 * translation puts it; of the other pairs, a quarter as many get a placeholder on both
 * sides (before the final punctuation, at the start, or both). The count stays the same.
 */
export function addVerbatimSpans(
  pairs: readonly SentencePair[],
  fraction: number,
  seed: number,
): SentencePair[] {
  const random = seededRandom(seed);
  const [a, b] = [placeholder(0), placeholder(1)];
  const beforeEnd = (s: string, p: string) => s.replace(/^(.*?)(\s*[.!?…]*)$/su, `$1 ${p}$2`);
  return pairs.map((p) => {
    const chosen = random(), r = random();
    const shared = maskSharedSpans(p.source, p.target);
    if (shared) return chosen < fraction ? shared : p;
    if (chosen >= fraction / 4) return p;
    if (r < 0.6) return { source: beforeEnd(p.source, a), target: beforeEnd(p.target, a) };
    if (r < 0.8) return { source: `${a} ${p.source}`, target: `${a} ${p.target}` };
    return { source: `${a} ${beforeEnd(p.source, b)}`, target: `${a} ${beforeEnd(p.target, b)}` };
  });
}

/**
 * The textbook's two pairs (let's go → vamos, to go → ir) as training data for a real
 * model: each as typed ("let's go" → "Vamos.") and as written ("Let's go." → "Vamos."),
 * the whole set repeated `copies` times. Repetition is the only way two pairs weigh
 * anything among 100,000: Tatoeba itself mostly renders "Let's go ..." as "Vayamos ...".
 */
export function statquestPairs(copies = 1, direction: Direction = "en-es"): SentencePair[] {
  const sentence = (s: string) => s[0].toUpperCase() + s.slice(1) + ".";
  const pairs = orientPairs(STATQUEST_PAIRS, direction);
  const once = pairs.flatMap((p) => [
    { source: p.source, target: sentence(p.target) },
    { source: sentence(p.source), target: sentence(p.target) },
  ]);
  return Array.from({ length: copies }, () => once).flat();
}

/** SHA-256 of bytes, as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Groups pairs by source sentence: each source with all its reference translations. */
export function groupBySource(
  pairs: readonly SentencePair[],
): { source: string; references: string[] }[] {
  const m = new Map<string, string[]>();
  for (const p of pairs) {
    const r = m.get(p.source);
    if (r) r.push(p.target);
    else m.set(p.source, [p.target]);
  }
  return [...m].map(([source, references]) => ({ source, references }));
}
