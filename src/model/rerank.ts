/**
 * Noisy-channel reranking (Yee et al. 2019): beam search's n-best translations y of a
 * source x are ranked again by
 *
 *   log P(y | x) / lp(|y|)  +  λ · log P(x | y) / lp(|x|)
 *
 * where P(x | y) comes from a model trained the other way (the channel). A translation
 * that drops part of the source explains it badly, so the channel term is the usual cure
 * for dropped content; λ = 0 is beam search's own choice. Both terms are normalized by the
 * length penalty of beam search, so λ means the same for short and long sentences.
 * @module
 */
import { type Hypothesis, lengthPenalty } from "./beam.ts";
import { checkOption } from "../options.ts";
import { VamosError } from "../errors.ts";

/** What reranking needs of the reverse model. */
export interface ChannelModel {
  /**
   * log P(target | source) for each pair (the channel reads a translation as its source
   * and scores the original text as its target); NaN where a pair cannot be scored.
   */
  scoreTranslations(sources: readonly string[], targets: readonly string[]): number[];
}

/**
 * How to rerank: the channel model and the weight λ of its score.
 *
 * @example
 * ```ts ignore
 * import { DEFAULT_CHANNEL_WEIGHT, loadDefaultModel } from "@vamos/transformer";
 * const enEs = await loadDefaultModel();
 * const esEn = await loadDefaultModel({ from: "es", to: "en" });
 * enEs.translate("I don't like coffee, but I love tea.", {
 *   rerank: { channel: esEn, weight: DEFAULT_CHANNEL_WEIGHT },
 * }); // "No me gusta el café, pero me encanta el té."
 * ```
 */
export interface RerankOptions {
  /** The model that translates the other way. */
  channel: ChannelModel;
  /** λ, the channel score's weight (0 keeps beam search's order). */
  weight: number;
  /**
   * Only candidates whose direct score is within this of the best are read by the channel
   * (a sentence with none is not reranked): those further behind rarely win, and the
   * channel costs as much per candidate as beam search. Default
   * {@linkcode DEFAULT_CHANNEL_MARGIN}; Infinity reads them all.
   */
  margin?: number;
}

/** λ tuned on the en→es dev split with the shipped es→en model (bench:rerank). */
export const DEFAULT_CHANNEL_WEIGHT = 0.4;
/** The margin tuned with it: half the candidates read, most of the gain kept. */
export const DEFAULT_CHANNEL_MARGIN = 0.5;

/** The candidates of an n-best (best first) the channel reads: those within `margin`. */
export function candidatesWithin<T extends { score: number }>(
  hyps: readonly T[],
  margin: number,
): T[] {
  const near = hyps.filter((h) => hyps[0].score - h.score <= margin);
  return near.length > 1 ? near : [];
}

/** The bounds of λ. */
export const CHANNEL_WEIGHT_BOUNDS = { min: 0, max: 10 } as const;

/** Checks reranking options: λ from 0 to 10, a margin of at least 0. */
export function checkRerank(opts: RerankOptions): void {
  checkOption("rerank.weight", opts.weight, CHANNEL_WEIGHT_BOUNDS);
  if (opts.margin !== undefined && !(opts.margin >= 0)) {
    throw new VamosError(`rerank.margin must be a number of at least 0, got ${opts.margin}`);
  }
  if (typeof opts.channel?.scoreTranslations !== "function") {
    throw new VamosError("rerank.channel must be a model (it has no scoreTranslations)");
  }
}

/**
 * The index of the hypothesis with the best combined score, given each one's channel
 * log-probability and the source's length in the channel's target tokens. A channel
 * score that is NaN (the pair could not be scored) leaves beam search's choice, 0.
 *
 * @example
 * ```ts
 * import { chooseByChannel } from "./rerank.ts";
 * const hyps = [
 *   { tokens: [1], logProb: -1, score: -1 }, // short: drops a word
 *   { tokens: [1, 2], logProb: -1.4, score: -1.2 },
 * ];
 * chooseByChannel(hyps, [-9, -2], 0.5, 3, 1); // 1
 * ```
 */
export function chooseByChannel(
  hyps: readonly Hypothesis[],
  channel: readonly number[],
  weight: number,
  sourceTokens: number,
  alpha: number,
): number {
  if (weight === 0 || hyps.length < 2 || channel.some((c) => Number.isNaN(c))) return 0;
  const norm = lengthPenalty(sourceTokens, alpha);
  let best = 0, bestScore = -Infinity;
  hyps.forEach((h, i) => {
    const s = h.score + (weight * channel[i]) / norm;
    if (s > bestScore) [best, bestScore] = [i, s];
  });
  return best;
}
