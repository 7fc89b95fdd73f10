/**
 * Beam search over the cached decoder, batched over sentences and beams: each step
 * extends every live hypothesis by every token, keeps the `beam` best continuations per
 * sentence (a hypothesis that ends with EOS among them is finished), and reorders the
 * caches to follow them. Finished hypotheses are ranked by log-probability divided by
 * the length penalty ((5 + length) / 6)^α of Wu et al. 2016, with α = 0.6 as in
 * Vaswani et al. 2017 (§6.1). A sentence stops once `beam` hypotheses have finished.
 * With beam 1 this is exactly greedy decoding (same tokens, same ties).
 * @module
 */
import type { TransformerCore } from "./transformer_core.ts";
import { decodingSteps, IncrementalDecoder } from "./incremental_decoder.ts";
import { checkOption, DECODING_BOUNDS, MAX_BEAM } from "../options.ts";
import type { Shortlist } from "./shortlist.ts";

/** The length penalty's exponent of the paper. */
export const DEFAULT_ALPHA = 0.6;
/** The widest beam accepted. */
export { MAX_BEAM };

/** Options of {@linkcode beamDecode}. */
export interface BeamOptions {
  /** The first decoder input. */
  start: number;
  /** The end token. */
  eos: number;
  /** Hypotheses kept per sentence. */
  beam: number;
  /** Most tokens per hypothesis (EOS included); default: what maxLen allows. */
  maxTokens?: number;
  /** Length-penalty exponent (default 0.6). */
  alpha?: number;
  /** Hypotheses returned per sentence, best first (default 1, at most `beam`). */
  nbest?: number;
  /** Decode over each sentence's shortlist instead of the whole vocabulary. */
  shortlist?: Shortlist;
}

/** One translation hypothesis. */
export interface Hypothesis {
  /** Target token ids, without start and EOS. */
  tokens: number[];
  /** Sum of the tokens' log-probabilities (EOS included when it ended). */
  logProb: number;
  /** logProb divided by the length penalty: what hypotheses are ranked by. */
  score: number;
}

/** The length penalty of a hypothesis of `length` tokens (Wu et al. 2016, eq. 14). */
export function lengthPenalty(length: number, alpha: number): number {
  return ((5 + length) / 6) ** alpha;
}

/** Checks a beam width (an integer from 1 to {@linkcode MAX_BEAM}). */
export function checkBeam(beam: number): number {
  checkOption("beam", beam, DECODING_BOUNDS.beam);
  return beam;
}

/** The n-best hypotheses of each sentence of `src` (id sequences), best first. */
export function beamDecode(
  core: TransformerCore,
  src: readonly (readonly number[])[],
  opts: BeamOptions,
): Hypothesis[][] {
  const K = checkBeam(opts.beam);
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  checkOption("alpha", alpha, DECODING_BOUNDS.alpha);
  const nbest = Math.min(K, Math.max(1, Math.floor(opts.nbest ?? 1)));
  const dec = new IncrementalDecoder(
    core,
    src,
    decodingSteps(core, opts.maxTokens),
    src.length * K,
    opts.shortlist,
  );
  try {
    const B = src.length;
    // Per row: its sentence, the hypothesis' tokens and log-probability. At the start one
    // row per sentence; then each unfinished sentence has up to K rows, best first, and a
    // finished sentence none.
    let sentence = dec.sources;
    let tokens: number[][] = sentence.map(() => []);
    let logProb = sentence.map(() => 0);
    let ids = sentence.map(() => opts.start);
    const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
    const finish = (b: number, toks: number[], logProb: number, length: number) =>
      finished[b].push({ tokens: toks, logProb, score: logProb / lengthPenalty(length, alpha) });
    for (let t = 0; t < dec.steps && ids.length > 0; t++) {
      dec.step(ids, t);
      const R = ids.length;
      // Per row, its 2K best tokens (by logit, lower token first on ties): the 2K best
      // continuations of a sentence are among its rows' 2K best.
      const best = dec.top(2 * K, true);
      const lse = best.lse!, logits = best.logits;
      const parents: number[] = [];
      const nextSentence: number[] = [];
      const nextTokens: number[][] = [];
      const nextLogProb: number[] = [];
      const nextIds: number[] = [];
      const last = t === dec.steps - 1;
      for (let r0 = 0; r0 < R;) {
        const b = sentence[r0];
        let r1 = r0;
        while (r1 < R && sentence[r1] === b) r1++;
        // The 2K best continuations (score, then the lower (beam, token) on ties).
        const top: { score: number; row: number; v: number }[] = [];
        for (let r = r0; r < r1; r++) {
          for (let q = r * 2 * K; q < (r + 1) * 2 * K; q++) {
            const v = best.tokens[q];
            if (v < 0) break; // fewer tokens than 2K, or NaN logits
            const score = logProb[r] + (logits[q] - lse[r]);
            if (top.length === 2 * K && score <= top[top.length - 1].score) continue;
            let at = top.length;
            while (at > 0 && top[at - 1].score < score) at--;
            top.splice(at, 0, { score, row: r, v });
            if (top.length > 2 * K) top.pop();
          }
        }
        r0 = r1;
        const live: typeof top = [];
        top.forEach((cand, rank) => {
          if (live.length === K) return;
          if (cand.v === opts.eos) {
            // Its length counts the EOS.
            if (rank < K) finish(b, tokens[cand.row], cand.score, tokens[cand.row].length + 1);
          } else live.push(cand);
        });
        if (finished[b].length >= K || last || live.length === 0) {
          if (finished[b].length < K && last) {
            // Out of steps: the live hypotheses end here, unfinished.
            for (const cand of live.slice(0, K - finished[b].length)) {
              const toks = [...tokens[cand.row], cand.v];
              finish(b, toks, cand.score, toks.length);
            }
          }
          continue; // done: the sentence leaves the batch
        }
        for (const cand of live) {
          parents.push(cand.row);
          nextSentence.push(b);
          nextTokens.push([...tokens[cand.row], cand.v]);
          nextLogProb.push(cand.score);
          nextIds.push(cand.v);
        }
      }
      if (parents.length === 0) break;
      dec.select(parents, t);
      sentence = nextSentence;
      tokens = nextTokens;
      logProb = nextLogProb;
      ids = nextIds;
    }
    // Stable sort: equal scores keep the order they finished in.
    return finished.map((f) => f.slice().sort((a, b) => b.score - a.score).slice(0, nbest));
  } finally {
    dec.dispose();
  }
}
