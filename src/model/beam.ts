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
  const V = core.config.tgtVocab;
  const dec = new IncrementalDecoder(core, src, K, decodingSteps(core, opts.maxTokens));
  try {
    const B = dec.rows / K;
    // Per row: the hypothesis' tokens and log-probability; -Infinity marks an empty slot
    // (at the start only beam 0 of each sentence is alive, so no hypothesis repeats).
    let tokens: number[][] = Array.from({ length: dec.rows }, () => []);
    let logProb = Array.from({ length: dec.rows }, (_, r) => (r % K === 0 ? 0 : -Infinity));
    let ids = new Array(dec.rows).fill(opts.start);
    const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
    const done = new Array(B).fill(false);
    const finish = (b: number, toks: number[], logProb: number, length: number) =>
      finished[b].push({ tokens: toks, logProb, score: logProb / lengthPenalty(length, alpha) });
    const lse = new Float64Array(dec.rows);
    // Per live row, its 2K best tokens (by logit, lower token first on ties): the 2K best
    // continuations of a sentence are among its rows' 2K best.
    const rowTop: number[][] = Array.from({ length: dec.rows }, () => []);
    for (let t = 0; t < dec.steps; t++) {
      const logits = dec.step(ids, t);
      for (let r = 0; r < dec.rows; r++) {
        if (logProb[r] === -Infinity) continue;
        const off = r * V;
        let m = -Infinity;
        for (let v = 0; v < V; v++) if (logits[off + v] > m) m = logits[off + v];
        let s = 0;
        const top = rowTop[r];
        top.length = 0;
        let floor = -Infinity; // the smallest logit in `top` once it is full
        for (let v = 0; v < V; v++) {
          const x = logits[off + v];
          s += Math.exp(x - m);
          if (top.length === 2 * K && x <= floor) continue;
          let at = top.length;
          while (at > 0 && logits[off + top[at - 1]] < x) at--;
          top.splice(at, 0, v);
          if (top.length > 2 * K) top.pop();
          if (top.length === 2 * K) floor = logits[off + top[top.length - 1]];
        }
        lse[r] = m + Math.log(s);
      }
      const parents: number[] = [];
      const nextTokens: number[][] = [];
      const nextLogProb: number[] = [];
      const nextIds: number[] = [];
      const last = t === dec.steps - 1;
      for (let b = 0; b < B; b++) {
        // The 2K best continuations (score, then the lower (beam, token) on ties).
        const top: { score: number; row: number; v: number }[] = [];
        if (!done[b]) {
          for (let k = 0; k < K; k++) {
            const r = b * K + k;
            if (logProb[r] === -Infinity) continue;
            for (const v of rowTop[r]) {
              const score = logProb[r] + (logits[r * V + v] - lse[r]);
              if (top.length === 2 * K && score <= top[top.length - 1].score) continue;
              let at = top.length;
              while (at > 0 && top[at - 1].score < score) at--;
              top.splice(at, 0, { score, row: r, v });
              if (top.length > 2 * K) top.pop();
            }
          }
        }
        const live: typeof top = [];
        top.forEach((cand, rank) => {
          if (live.length === K) return;
          if (cand.v === opts.eos) {
            // Its length counts the EOS.
            if (rank < K) finish(b, tokens[cand.row], cand.score, tokens[cand.row].length + 1);
          } else live.push(cand);
        });
        if (!done[b] && (finished[b].length >= K || last || live.length === 0)) {
          if (finished[b].length < K && last) {
            // Out of steps: the live hypotheses end here, unfinished.
            for (const cand of live.slice(0, K - finished[b].length)) {
              const toks = [...tokens[cand.row], cand.v];
              finish(b, toks, cand.score, toks.length);
            }
          }
          done[b] = true;
        }
        for (let k = 0; k < K; k++) {
          const r = b * K + k;
          const cand = done[b] ? undefined : live[k];
          parents.push(cand ? cand.row : r);
          nextTokens.push(cand ? [...tokens[cand.row], cand.v] : []);
          nextLogProb.push(cand ? cand.score : -Infinity);
          nextIds.push(cand ? cand.v : opts.eos);
        }
      }
      if (done.every(Boolean)) break;
      dec.reorder(parents, t);
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
