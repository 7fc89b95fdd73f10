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
import { decodingSteps, IncrementalDecoder, sentenceRuns } from "./incremental_decoder.ts";
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
    const finished = new Finished(src.length, alpha);
    // At the start one row per sentence; then each unfinished sentence has up to K rows,
    // best first, and a finished sentence none.
    let rows: Rows = {
      sentence: dec.sources,
      tokens: src.map(() => []),
      logProb: src.map(() => 0),
      ids: src.map(() => opts.start),
    };
    for (let t = 0; t < dec.steps && rows.ids.length > 0; t++) {
      dec.step(rows.ids, t);
      // Per row, its 2K best tokens (by logit, lower token first on ties): the 2K best
      // continuations of a sentence are among its rows' 2K best.
      const best = dec.top(2 * K, true);
      const next = emptyRows(), parents: number[] = [];
      const last = t === dec.steps - 1;
      for (const [b, r0, r1] of sentenceRuns(rows.sentence)) {
        const top = bestContinuations(best, rows.logProb, r0, r1, 2 * K);
        for (const cand of survivors(b, top, K, opts.eos, last, rows.tokens, finished)) {
          parents.push(cand.row);
          next.sentence.push(b);
          next.tokens.push([...rows.tokens[cand.row], cand.v]);
          next.logProb.push(cand.score);
          next.ids.push(cand.v);
        }
      }
      if (parents.length === 0) break;
      dec.select(parents, t);
      rows = next;
    }
    return finished.best(nbest);
  } finally {
    dec.dispose();
  }
}

// The live hypotheses, a row each: its sentence, tokens, log-probability, next input.
interface Rows {
  sentence: number[];
  tokens: number[][];
  logProb: number[];
  ids: number[];
}

const emptyRows = (): Rows => ({ sentence: [], tokens: [], logProb: [], ids: [] });

// A continuation: row `row`'s hypothesis extended by token `v`, with its log-probability.
interface Candidate {
  score: number;
  row: number;
  v: number;
}

// The `width` best continuations of rows [r0, r1), best first (the lower (row, token) on
// ties), from each row's best tokens in `best`.
function bestContinuations(
  best: { tokens: Int32Array; logits: Float32Array; lse?: Float32Array },
  logProb: readonly number[],
  r0: number,
  r1: number,
  width: number,
): Candidate[] {
  const lse = best.lse!;
  const top: Candidate[] = [];
  for (let r = r0; r < r1; r++) {
    for (let q = r * width; q < (r + 1) * width; q++) {
      const v = best.tokens[q];
      if (v < 0) break; // fewer tokens than the width, or NaN logits
      const score = logProb[r] + (best.logits[q] - lse[r]);
      if (top.length === width && score <= top[top.length - 1].score) continue;
      let at = top.length;
      while (at > 0 && top[at - 1].score < score) at--;
      top.splice(at, 0, { score, row: r, v });
      if (top.length > width) top.pop();
    }
  }
  return top;
}

// Sentence b's next rows among its best continuations `top`: an EOS among the best K
// finishes a hypothesis; the K best others go on, unless the sentence is done (K finished,
// out of steps, or nothing left), when none do. Out of steps, the live ones finish as
// they are.
function survivors(
  b: number,
  top: readonly Candidate[],
  K: number,
  eos: number,
  last: boolean,
  tokens: readonly number[][],
  finished: Finished,
): Candidate[] {
  const live: Candidate[] = [];
  top.forEach((cand, rank) => {
    if (live.length === K) return;
    if (cand.v === eos) {
      // Its length counts the EOS.
      if (rank < K) finished.add(b, tokens[cand.row], cand.score, tokens[cand.row].length + 1);
    } else live.push(cand);
  });
  if (finished.count(b) < K && !last && live.length > 0) return live;
  if (finished.count(b) < K && last) {
    for (const cand of live.slice(0, K - finished.count(b))) {
      const toks = [...tokens[cand.row], cand.v];
      finished.add(b, toks, cand.score, toks.length);
    }
  }
  return [];
}

// The finished hypotheses of each sentence, in the order they finished.
class Finished {
  readonly #of: Hypothesis[][];

  constructor(sentences: number, readonly alpha: number) {
    this.#of = Array.from({ length: sentences }, () => []);
  }

  add(b: number, tokens: number[], logProb: number, length: number): void {
    this.#of[b].push({ tokens, logProb, score: logProb / lengthPenalty(length, this.alpha) });
  }

  count(b: number): number {
    return this.#of[b].length;
  }

  // Each sentence's n best (a stable sort: equal scores keep the order they finished in).
  best(n: number): Hypothesis[][] {
    return this.#of.map((f) => f.slice().sort((a, b) => b.score - a.score).slice(0, n));
  }
}
