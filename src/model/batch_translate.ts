/**
 * Translating any number of texts in bounded memory: each text is split into
 * sentences (and over-long sentences into pieces the model takes), the pieces are
 * sorted by length and decoded in batches of a bounded size, and the translations are
 * joined back per text, in input order. A text that cannot be translated gets its own
 * error; the others are still translated.
 * @module
 */
import { cleanText, notTextProblem } from "../text/hygiene.ts";
import { maskedOrText, type MaskedText, onlySpans, unmaskSpans } from "../text/verbatim.ts";
import type { TransformerCore } from "./transformer_core.ts";
import { greedyDecode } from "./incremental_decoder.ts";
import { beamDecode, DEFAULT_ALPHA, type Hypothesis } from "./beam.ts";
import { splitSentences, splitToFit } from "../text/sentences.ts";
import {
  candidatesWithin,
  chooseByChannel,
  DEFAULT_CHANNEL_MARGIN,
  type RerankOptions,
} from "./rerank.ts";
import { VamosError } from "../errors.ts";
import type { Vocabulary } from "../text/vocabulary.ts";
import type { TextCodec } from "../text/codec.ts";
import type { Shortlist } from "./shortlist.ts";

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
  /**
   * Rerank beam search's `beam` best translations with a model trained the other way
   * (noisy channel); no effect on greedy decoding.
   */
  rerank?: RerankOptions;
  /**
   * Decode over the model's vocabulary shortlist when it has one (default: the model's
   * `useShortlist`, false unless set): the output layer computes only the target tokens a
   * sentence's words translate to and the most frequent ones. Faster one sentence at a
   * time, but scores normalized over a sentence's list cost the shipped en→es model 0.5
   * BLEU on its test split (beam 4). Reranking always decodes over the whole vocabulary.
   */
  shortlist?: boolean;
}

/** What batched decoding needs of a model. */
export interface Translatable {
  readonly core: TransformerCore;
  readonly codec: TextCodec;
  readonly srcVocab: Vocabulary;
  readonly tgtVocab: Vocabulary;
  readonly startId: number;
  /** The vocabulary shortlist to decode with, when the model has one. */
  readonly shortlist?: Shortlist;
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
      shortlist: shortlistOf(model, opts),
    });
    batch.forEach((i, k) => out[i] = ids[k]);
  }
  return out;
}

// The shortlist a call decodes with: the model's, when the call (its defaults filled in) asks.
function shortlistOf(model: Translatable, opts: BatchOptions): Shortlist | undefined {
  return opts.shortlist === true ? model.shortlist : undefined;
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
      shortlist: shortlistOf(model, opts),
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
  /**
   * Set when a piece of the text reached the output limit even after it was split down to
   * single words (or the caller's `maxTokens` cut it): its translation may end early.
   */
  truncated?: boolean;
}

/**
 * Source tokens a piece may have: two thirds of what the model takes, so that its
 * translation (Spanish runs longer than English) fits in the output positions too.
 */
export function pieceBudget(maxLen: number): number {
  return Math.max(1, Math.floor(((maxLen - 1) * 2) / 3));
}

// Most source tokens of a part of a sentence too long to take whole (run-on text, a
// paragraph without full stops): about a sentence of the training data, which the models
// translate without dropping words, as they do with longer pieces.
const PART_TOKENS = 16;

// A piece of at least this many tokens whose translation has fewer than SHORT_RATIO times
// as many is split and translated again (translations of whole sentences run from 0.8 to
// 1.3 times the source's tokens between English and Spanish).
const SHORT_MIN_TOKENS = 12;
const SHORT_RATIO = 0.6;

// One piece of a text: a sentence, or a part of one that the model takes whole.
interface Piece {
  text: string;
  ids: number[];
  masked?: MaskedText;
  /** A piece of nothing but spans comes back as it is, untranslated. */
  asIs?: string;
  translation?: string;
  truncated?: boolean;
}

/**
 * Translates texts of any length and number, keeping their line structure (line breaks
 * and blank lines come back where they were; each line is split into sentences and
 * rejoined); over-long sentences are split at clauses, then words, and a piece whose
 * translation still reaches the output limit is split again and retranslated, so nothing
 * is cut silently. Every text gets a result of its own.
 */
export function translateTexts(
  model: Translatable,
  texts: readonly string[],
  opts: BatchOptions = {},
): TextResult[] {
  const pieces = pieceMaker(model);
  const results: TextResult[] = texts.map(() => ({ translation: "" }));
  const { layout, pending } = layOut(texts, pieces, results);
  const replaced = decodeUntilWhole(model, pending, pieces, opts);
  const flat = (p: Piece): Piece[] => replaced.get(p)?.flatMap(flat) ?? [p];
  layout.forEach((lines, i) => {
    if (results[i].error) return;
    const out = lines.map((l) => {
      const pieces = l.pieces.flatMap(flat);
      if (pieces.some((p) => p.truncated)) results[i].truncated = true;
      const joined = pieces.map((p) => p.asIs ?? p.translation!).filter((s) => s !== "");
      return l.indent + joined.join(" ");
    });
    results[i].translation = out.join("\n");
  });
  return results;
}

// How a model's input is cut: whether a piece fits the budget (whole, or as a part of an
// over-long sentence), and a piece with its spans masked and its source ids.
function pieceMaker(model: Translatable) {
  const budget = pieceBudget(model.core.config.maxLen);
  // A piece is masked once: asking whether it fits and making it both need its mask.
  const masks = new Map<string, MaskedText | undefined>();
  const mask = (piece: string) => {
    if (!model.maskSpans) return undefined;
    if (!masks.has(piece)) masks.set(piece, model.maskSpans(piece));
    return masks.get(piece);
  };
  const under = (limit: number) => (piece: string) => {
    const m = mask(piece);
    return !m?.overflow && model.codec.tokenize(m?.text ?? piece).length <= limit;
  };
  return {
    fits: under(budget),
    fitsPart: under(Math.min(budget, PART_TOKENS)),
    make: (text: string): Piece => {
      const masked = mask(text);
      if (masked && onlySpans(masked)) return { text, ids: [], asIs: text };
      return { text, masked, ids: model.encodeSource(maskedOrText(text, masked)) };
    },
  };
}

type Pieces = ReturnType<typeof pieceMaker>;

/** A text's lines: each one's indentation and its pieces in order ([] for a blank line). */
type Layout = { indent: string; pieces: Piece[] }[];

// Each text's lines cut into pieces, and the pieces to decode; a text that is not one, or
// has a line that is not text, gets its error before any of its pieces is queued.
function layOut(
  texts: readonly string[],
  pieces: Pieces,
  results: TextResult[],
): { layout: Layout[]; pending: Piece[] } {
  const layout: Layout[] = texts.map(() => []);
  const pending: Piece[] = [];
  texts.forEach((text, owner) => {
    if (typeof text !== "string") {
      results[owner].error = new VamosError(`Expected text to translate, got ${typeof text}`);
      return;
    }
    try {
      const lines = text.split(/\r?\n/);
      const mine = lines.map((line, n) => {
        const problem = notTextProblem(line);
        if (problem) {
          throw new VamosError(
            `${lines.length > 1 ? `line ${n + 1} ` : ""}${problem}; not translated`,
          );
        }
        const indent = /^[ \t]*/.exec(line)![0];
        const cut = splitSentences(cleanText(line))
          .flatMap((s) => pieces.fits(s) ? [s] : splitToFit(s, pieces.fitsPart)).map(pieces.make);
        return { indent: cut.length ? indent : "", pieces: cut };
      });
      layout[owner] = mine;
      for (const l of mine) pending.push(...l.pieces.filter((p) => p.asIs === undefined));
    } catch (e) {
      if (!(e instanceof VamosError)) throw e;
      results[owner].error = e;
    }
  });
  return { layout, pending };
}

// Decodes the pieces; a piece that reached its output limit, or came back far shorter than
// it is, is split in two and decoded again. Returns the pieces replaced by their halves.
function decodeUntilWhole(
  model: Translatable,
  pending: Piece[],
  pieces: Pieces,
  opts: BatchOptions,
): Map<Piece, Piece[]> {
  const maxLen = model.core.config.maxLen;
  const replaced = new Map<Piece, Piece[]>();
  while (pending.length) {
    const decoded = decodePieces(model, pending, opts);
    const again: Piece[] = [];
    pending.forEach((p, j) => {
      const limit = Math.min(outputCap([p.ids], opts.maxTokens), maxLen - 1);
      const cut = decoded[j].length >= limit;
      // A long piece whose translation is far shorter than it has lost words (run-on
      // text: the models learned from single sentences); so has one cut at the limit.
      const short = p.ids.length >= SHORT_MIN_TOKENS &&
        decoded[j].length < SHORT_RATIO * p.ids.length;
      const halves = (cut && limit !== opts.maxTokens) || short ? splitInTwo(p.text) : undefined;
      if (halves) {
        const parts = halves.map(pieces.make);
        replaced.set(p, parts);
        again.push(...parts.filter((q) => q.asIs === undefined));
        return;
      }
      const text = model.codec.detokenize(model.tgtVocab.decode(decoded[j]));
      p.translation = unmaskSpans(text, p.masked?.spans ?? [], p.masked ?? {});
      p.truncated = cut;
    });
    pending = again;
  }
  return replaced;
}

// The pieces' translations as ids: beam search's best, or with `opts.rerank` the best of its
// n-best by the combined score, the channel reading each candidate as its source.
function decodePieces(
  model: Translatable,
  pieces: readonly Piece[],
  opts: BatchOptions,
): number[][] {
  const ids = pieces.map((p) => p.ids);
  const beam = opts.beam ?? 1, rerank = opts.rerank;
  if (!rerank || beam < 2 || rerank.weight === 0) return decodeInBatches(model, ids, opts);
  // Over the whole vocabulary: a shortlist's scores are normalized over its tokens only,
  // which favours the candidates that drop words, the ones the channel is there to catch
  // (on the dev split reranking then gains 0.4–0.7 BLEU instead of 0.9).
  const nbest = nbestInBatches(model, ids, { ...opts, shortlist: false }, beam);
  const margin = rerank.margin ?? DEFAULT_CHANNEL_MARGIN;
  const read = nbest.map((hyps) => candidatesWithin(hyps, margin));
  const candidates: string[] = [], originals: string[] = [];
  read.forEach((hyps, j) => {
    const original = maskedOrText(pieces[j].text, pieces[j].masked);
    for (const h of hyps) {
      candidates.push(model.codec.detokenize(model.tgtVocab.decode(h.tokens)));
      originals.push(original);
    }
  });
  const channel = candidates.length ? rerank.channel.scoreTranslations(candidates, originals) : [];
  let at = 0;
  return nbest.map((hyps, j) => {
    const near = read[j];
    if (near.length === 0) return hyps[0].tokens;
    const mine = channel.slice(at, at += near.length);
    const alpha = opts.alpha ?? DEFAULT_ALPHA;
    return near[chooseByChannel(near, mine, rerank.weight, ids[j].length, alpha)].tokens;
  });
}

// A piece split between words near its middle, or undefined for a single word.
function splitInTwo(text: string): [string, string] | undefined {
  const words = text.split(/\s+/).filter((w) => w !== "");
  if (words.length < 2) return undefined;
  const mid = Math.ceil(words.length / 2);
  return [words.slice(0, mid).join(" "), words.slice(mid).join(" ")];
}
