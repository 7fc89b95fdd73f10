/**
 * Translating any number of texts in bounded memory: each text is split into
 * sentences (and over-long sentences into pieces the model takes), the pieces are
 * sorted by length and decoded in batches of a bounded size, and the translations are
 * joined back per text, in input order. A text that cannot be translated gets its own
 * error; the others are still translated.
 * @module
 */
import { cleanText } from "../text/hygiene.ts";
import { type MaskedText, onlySpans, unmaskSpans } from "../text/verbatim.ts";
import type { TransformerCore } from "./transformer_core.ts";
import { greedyDecode } from "./incremental_decoder.ts";
import { beamDecode, type Hypothesis } from "./beam.ts";
import { splitSentences, splitToFit } from "../text/sentences.ts";
import { VamosError } from "../errors.ts";
import type { Vocabulary } from "../text/vocabulary.ts";
import type { TextCodec } from "../text/codec.ts";

/** Most sentences decoded together (the batch's memory grows with it). */
export const MAX_BATCH_SENTENCES = 64;
/** Most source tokens, padding included, in one batch. */
export const MAX_BATCH_TOKENS = 4096;

/** Options of batched translation. */
export interface BatchOptions {
  /** Most tokens to produce per sentence (default: the model's limit). */
  maxTokens?: number;
  /** Sentences per batch (default and maximum {@linkcode MAX_BATCH_SENTENCES}). */
  batchSize?: number;
  /** Beam width: 1 (default) is greedy decoding, more is beam search. */
  beam?: number;
  /** Length-penalty exponent of beam search (default 0.6). */
  alpha?: number;
}

/** What batched decoding needs of a model. */
export interface Translatable {
  readonly core: TransformerCore;
  readonly codec: TextCodec;
  readonly srcVocab: Vocabulary;
  readonly tgtVocab: Vocabulary;
  readonly startId: number;
  encodeSource(text: string): number[];
  /** The text with its verbatim spans masked, when the model carries spans through. */
  maskSpans?(text: string): MaskedText | undefined;
}

/** The batches (lists of indices into `lengths`) that decode sequences of these lengths. */
export function planBatches(
  lengths: readonly number[],
  batchSize = MAX_BATCH_SENTENCES,
): number[][] {
  const size = Math.max(1, Math.min(MAX_BATCH_SENTENCES, Math.floor(batchSize)));
  // Sorted by length so a batch pads little; stable, so equal lengths keep input order.
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  let batch: number[] = [];
  for (const i of order) {
    const longest = lengths[i]; // the order is ascending
    if (batch.length && (batch.length >= size || longest * (batch.length + 1) > MAX_BATCH_TOKENS)) {
      batches.push(batch);
      batch = [];
    }
    batch.push(i);
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/**
 * Most tokens a batch's translations may have: the caller's limit, and at most twice the
 * longest source plus ten (translations are rarely half again as long), so that noise
 * that sends the decoder running on costs as much as a sentence, not minutes.
 */
export function outputCap(src: readonly (readonly number[])[], maxTokens?: number): number {
  const longest = Math.max(0, ...src.map((s) => s.length));
  return Math.min(maxTokens ?? Infinity, 2 * longest + 10);
}

/** Greedy translations of id sequences, decoded in bounded batches, in input order. */
export function decodeInBatches(
  model: Translatable,
  src: readonly (readonly number[])[],
  opts: BatchOptions = {},
): number[][] {
  if ((opts.beam ?? 1) > 1) return nbestInBatches(model, src, opts, 1).map((h) => h[0].tokens);
  const out: number[][] = new Array(src.length);
  for (const batch of planBatches(src.map((s) => s.length), opts.batchSize)) {
    const ids = greedyDecode(model.core, batch.map((i) => src[i]), {
      start: model.startId,
      eos: model.tgtVocab.eos,
      maxTokens: outputCap(batch.map((i) => src[i]), opts.maxTokens),
    });
    batch.forEach((i, k) => out[i] = ids[k]);
  }
  return out;
}

/** The n-best hypotheses of beam search for each sequence, in bounded batches, in input order. */
export function nbestInBatches(
  model: Translatable,
  src: readonly (readonly number[])[],
  opts: BatchOptions,
  nbest: number,
): Hypothesis[][] {
  const out: Hypothesis[][] = new Array(src.length);
  for (const batch of planBatches(src.map((s) => s.length), opts.batchSize)) {
    const hyps = beamDecode(model.core, batch.map((i) => src[i]), {
      start: model.startId,
      eos: model.tgtVocab.eos,
      maxTokens: outputCap(batch.map((i) => src[i]), opts.maxTokens),
      beam: opts.beam ?? 1,
      alpha: opts.alpha,
      nbest,
    });
    batch.forEach((i, k) => out[i] = hyps[k]);
  }
  return out;
}

/** One text's translation, or why it has none. */
export interface TextResult {
  /** The translation ("" for blank text or when `error` is set). */
  translation: string;
  /** Why the text could not be translated. */
  error?: VamosError;
}

/**
 * Translates texts of any length and number: sentences split and rejoined, over-long
 * sentences split at clauses, then words; every text gets a result of its own.
 */
export function translateTexts(
  model: Translatable,
  texts: readonly string[],
  opts: BatchOptions = {},
): TextResult[] {
  const maxLen = model.core.config.maxLen;
  const fits = (piece: string) => model.codec.tokenize(piece).length < maxLen;
  // Every piece of every text, in order: its ids, the spans to put back, or (a piece that
  // is nothing but spans) the text it comes back as, untranslated.
  const pieces: { owner: number; ids: number[]; spans?: string[]; asIs?: string }[] = [];
  const results: TextResult[] = texts.map(() => ({ translation: "" }));
  texts.forEach((text, owner) => {
    if (typeof text !== "string") {
      results[owner].error = new VamosError(`Expected text to translate, got ${typeof text}`);
      return;
    }
    const mine: typeof pieces = [];
    try {
      for (const sentence of splitSentences(cleanText(text))) {
        for (const piece of splitToFit(sentence, fits)) {
          const masked = model.maskSpans?.(piece);
          if (masked && onlySpans(masked)) mine.push({ owner, ids: [], asIs: piece });
          else if (masked?.spans.length) {
            mine.push({ owner, ids: model.encodeSource(masked.text), spans: masked.spans });
          } else mine.push({ owner, ids: model.encodeSource(piece) });
        }
      }
    } catch (e) {
      if (!(e instanceof VamosError)) throw e;
      results[owner].error = e;
      return;
    }
    pieces.push(...mine);
  });
  const toDecode = pieces.filter((p) => p.asIs === undefined);
  const decoded = decodeInBatches(model, toDecode.map((p) => p.ids), opts);
  const translated = new Map(toDecode.map((p, j) => {
    const text = model.codec.detokenize(model.tgtVocab.decode(decoded[j]));
    return [p, p.spans ? unmaskSpans(text, p.spans) : text];
  }));
  const parts: string[][] = texts.map(() => []);
  for (const p of pieces) parts[p.owner].push(p.asIs ?? translated.get(p)!);
  parts.forEach((p, i) => {
    if (!results[i].error) results[i].translation = p.filter((s) => s !== "").join(" ");
  });
  return results;
}
