/**
 * What `explain()` returns: one translation's computation as data, one step per idea of
 * the textbook's walk-through with the numbers it comes from, and the rounding both the
 * steps and their renderers share.
 * @module
 */

/** What a step of the walk-through shows: the video's ideas, in its order. */
export type ExplainIdea =
  | "embedding"
  | "positions"
  | "embedding+positions"
  | "queries-keys-values"
  | "scores"
  | "softmax"
  | "attention-values"
  | "residual"
  | "feed-forward"
  | "encoder-output"
  | "encoder-decoder-keys-values"
  | "decoder-input"
  | "masked-self-attention"
  | "encoder-decoder-attention"
  | "output";

/** A labelled vector (all of its values; the text shows the first few). */
export interface LabelledVector {
  /** The token (or position) the values belong to. */
  label: string;
  /** Its values. */
  values: number[];
}

/** A token's query, key and value. */
export interface QueryKeyValue {
  /** The token. */
  label: string;
  /** Its query (empty where the step has none). */
  q: number[];
  /** Its key (empty where the step has none). */
  k: number[];
  /** Its value (empty where the step has none). */
  v: number[];
}

/** How one query attends: the similarity scores (one head) and the softmax weights. */
export interface AttentionRow {
  /** The tokens attended to (keys). */
  keys: string[];
  /** query · key (scaled when the model scales), one head; undefined with several heads. */
  scores?: number[];
  /** The softmax weights, averaged over heads; they sum to 1. */
  weights: number[];
  /** The weights as percentages adding up to exactly 100. */
  percent: string[];
}

/** One output word's score after the fully connected layer, and its probability. */
export interface OutputWord {
  /** The output token. */
  token: string;
  /** Its score from the fully connected layer. */
  logit: number;
  /** Its softmax probability. */
  probability: number;
  /** The probability as a percentage (one decimal; all of them add up to 100). */
  percent: string;
}

/** One step of the walk-through: one idea, its numbers and where they come from. */
export interface ExplainStep {
  /** The idea the step shows. */
  idea: ExplainIdea;
  /** The encoder's part of the computation, or the decoder's. */
  part: "encoder" | "decoder";
  /** A short title ("Word embedding", "Masked self-attention, step 2"). */
  title: string;
  /** One paragraph saying what the step does, in the video's words. */
  caption: string;
  /** The traced tensors (or parameters) the numbers come from. */
  tensors: string[];
  /** The layer (from 0) of the attention and feed-forward steps. */
  layer?: number;
  /** The decoding step (from 0) of the decoder's steps. */
  decoderStep?: number;
  /** Rows of values: embeddings, positions, sums, outputs. */
  vectors?: LabelledVector[];
  /** Queries, keys and values (of the words, or of the step's query). */
  qkv?: QueryKeyValue[];
  /** A matrix of rows × keys: similarity scores, or softmax weights and percentages. */
  matrix?: { rows: string[]; cols: string[]; values: number[][]; percent?: string[][] };
  /** The decoder step's attention: its query against the keys it may see. */
  attention?: AttentionRow;
  /** The residual sum after the step's attention (a decoder step). */
  residual?: number[];
  /**
   * The output words: all of them, in vocabulary order, for a vocabulary of up to 8; else
   * the five likeliest.
   */
  words?: OutputWord[];
  /** Whether `words` is the whole vocabulary. */
  allWords?: boolean;
  /** The token the translation has at this step, and the most likely one of the step alone. */
  chosen?: { token: string; mostLikely: string };
  /** Every token of both vocabularies with its embedding (small vocabularies only). */
  vocabulary?: { token: string; lang: "source" | "target"; values: number[] }[];
  /** The position encoding's wave lengths: dimension i is sin (even) or cos (odd) of pos/rate. */
  rates?: number[];
}

/** How one translation is computed, step by step, with the model's own numbers. */
export interface Explanation {
  /** The text translated. */
  text: string;
  /** Its translation, as `translate` gives it. */
  translation: string;
  /** The beam width of the decoding that the steps follow. */
  beam: number;
  /** The source tokens (with `<EOS>`). */
  source: string[];
  /** The decoder's inputs: the start token, then the translation's tokens. */
  target: string[];
  /** The model's shape, as the steps need it. */
  model: {
    dModel: number;
    heads: number;
    encoderLayers: number;
    decoderLayers: number;
    dFF: number;
    activation: string;
    norm: string;
    scaleAttention: boolean;
    attentionOutProj: boolean;
    embedScale: number;
  };
  /** The steps, in the order the video walks through them. */
  steps: ExplainStep[];
}

/** Dimensions of a vector a summary shows. */
export const DIMS_SHOWN = 4;

/**
 * Percentages of a distribution, rounded so that they add up to exactly 100 (largest
 * remainder): a row of 30%, 70%, 1% would otherwise be shown for weights summing to 1.
 */
export function percentages(p: ArrayLike<number>, decimals = 0): string[] {
  const unit = 10 ** decimals;
  const total = Array.from(p).reduce((a, b) => a + b, 0) || 1;
  const exact = Array.from(p, (x) => (100 * unit * x) / total);
  const floor = exact.map(Math.floor);
  let missing = 100 * unit - floor.reduce((a, b) => a + b, 0);
  const order = exact.map((_, i) => i).sort((a, b) =>
    (exact[b] - floor[b]) - (exact[a] - floor[a])
  );
  for (const i of order) {
    if (missing <= 0) break;
    floor[i]++;
    missing--;
  }
  return floor.map((x) => `${(x / unit).toFixed(decimals)}%`);
}
