/**
 * Learning a vocabulary shortlist from a parallel corpus: IBM Model 1 (Brown et al. 1993)
 * estimates t(target token | source token) by expectation–maximization over the token-id
 * pairs, as fast_align does for Marian's lexical shortlists; each source token keeps its
 * most probable targets, and the target side's most frequent tokens go everywhere.
 * @module
 */
import { MAX_SHORTLIST_PER_SOURCE, Shortlist } from "../model/shortlist.ts";
import { VamosError } from "../errors.ts";

/** Options of {@linkcode learnShortlist}. */
export interface ShortlistOptions {
  /** Most targets kept per source token (default 100). */
  perSource?: number;
  /** Most frequent target tokens put in every shortlist (default 300). */
  frequent?: number;
  /** A target is kept only with t(target | source) at least this (default 0.001). */
  minProbability?: number;
  /** EM iterations of Model 1 (default 5). */
  iterations?: number;
  /**
   * Per source token, the target token spelled the same (-1 for none): always in its list,
   * so that names, numbers and placeholders the model copies stay reachable.
   */
  sameToken?: (source: number) => number;
  /**
   * Target tokens that come along with a listed one (its other-case spelling, say), added
   * to the lists it is in.
   */
  related?: (target: number) => readonly number[];
  /** Target tokens put in every shortlist besides the frequent ones (EOS, ...). */
  always?: readonly number[];
}

/**
 * A shortlist learned from token-id pairs (`source` as the model reads it, `target` as it
 * produces it, both with their EOS), for vocabularies of `srcVocab` and `tgtVocab` tokens.
 *
 * @example
 * ```ts
 * import { learnShortlist } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * // Source 0 always comes with target 5, source 1 with target 6; 2 is EOS on both sides.
 * const pairs = [{ source: [0, 2], target: [5, 2] }, { source: [1, 2], target: [6, 2] }];
 * const s = learnShortlist(pairs, 3, 7, { frequent: 1 });
 * deepEqual([...s.tokensFor([0])], [2, 5]); // its targets and the most frequent, EOS
 * ```
 */
export function learnShortlist(
  pairs: readonly { source: readonly number[]; target: readonly number[] }[],
  srcVocab: number,
  tgtVocab: number,
  opts: ShortlistOptions = {},
): Shortlist {
  const perSource = opts.perSource ?? 100, nFrequent = opts.frequent ?? 300;
  const minP = opts.minProbability ?? 0.001, iterations = opts.iterations ?? 5;
  if (!(Number.isInteger(perSource) && perSource >= 0 && perSource <= MAX_SHORTLIST_PER_SOURCE)) {
    throw new VamosError(`perSource must be an integer from 0 to ${MAX_SHORTLIST_PER_SOURCE}`);
  }
  if (!(Number.isInteger(nFrequent) && nFrequent >= 1)) {
    throw new VamosError("frequent must be a positive integer");
  }
  checkTokens(pairs, srcVocab, tgtVocab);
  const { slot, slotSource, slotTarget } = alignmentSlots(pairs, srcVocab, tgtVocab);
  const prob = model1(pairs, slot, slotSource, srcVocab, iterations);
  const nSlots = slotSource.length;
  // Per source token, its targets by probability (the lower token first on ties).
  const bySource: number[][] = Array.from({ length: srcVocab }, () => []);
  for (let k = 0; k < nSlots; k++) {
    if (slotSource[k] < srcVocab && prob[k] >= minP) bySource[slotSource[k]].push(k);
  }
  const lists = bySource.map((slots, s) => {
    slots.sort((a, b) => prob[b] - prob[a] || slotTarget[a] - slotTarget[b]);
    // The same spelling first, so that it survives the cap.
    const same = opts.sameToken?.(s) ?? -1;
    const top = slots.slice(0, perSource).map((k) => slotTarget[k]);
    const list = new Set([...(same >= 0 ? [same] : []), ...top]);
    for (const t of top) for (const r of opts.related?.(t) ?? []) list.add(r);
    const out = [...list].filter((t) => Number.isInteger(t) && t >= 0 && t < tgtVocab);
    if (out.length > MAX_SHORTLIST_PER_SOURCE) out.length = MAX_SHORTLIST_PER_SOURCE;
    return out.sort((a, b) => a - b);
  });
  const counts = new Uint8Array(lists.map((l) => l.length));
  const targets = new Uint16Array(lists.flat());
  // The most frequent targets (the lower token first on ties), and the ones always needed.
  const freq = new Float64Array(tgtVocab);
  for (const p of pairs) for (const t of p.target) freq[t]++;
  const byFreq = Array.from({ length: tgtVocab }, (_, t) => t).filter((t) => freq[t] > 0)
    .sort((a, b) => freq[b] - freq[a] || a - b).slice(0, nFrequent);
  const frequent = [...new Set([...byFreq, ...(opts.always ?? [])])].sort((a, b) => a - b);
  return new Shortlist(tgtVocab, counts, targets, new Uint16Array(frequent));
}

type IdPairs = readonly { source: readonly number[]; target: readonly number[] }[];

function checkTokens(pairs: IdPairs, srcVocab: number, tgtVocab: number): void {
  for (const p of pairs) {
    for (const s of p.source) {
      if (!(Number.isInteger(s) && s >= 0 && s < srcVocab)) {
        throw new VamosError(`Source token ${s} is outside the vocabulary of ${srcVocab}`);
      }
    }
    for (const t of p.target) {
      if (!(Number.isInteger(t) && t >= 0 && t < tgtVocab)) {
        throw new VamosError(`Target token ${t} is outside the vocabulary of ${tgtVocab}`);
      }
    }
  }
}

// Every (source, target) that meet in a pair gets a slot; the source NULL (srcVocab)
// takes the targets no source word explains. `slot` lists, per target position of every
// pair, the slots of its sources, so that EM is a sweep over flat arrays.
function alignmentSlots(
  pairs: IdPairs,
  srcVocab: number,
  tgtVocab: number,
): { slot: Int32Array; slotSource: number[]; slotTarget: number[] } {
  const slotOf = new Map<number, number>();
  const slotSource: number[] = [], slotTarget: number[] = [];
  let events = 0;
  for (const p of pairs) events += p.target.length * (p.source.length + 1);
  const slot = new Int32Array(events);
  let at = 0;
  for (const p of pairs) {
    for (const t of p.target) {
      for (let i = 0; i <= p.source.length; i++) {
        const s = i < p.source.length ? p.source[i] : srcVocab;
        const key = s * tgtVocab + t;
        let k = slotOf.get(key);
        if (k === undefined) {
          k = slotSource.length;
          slotOf.set(key, k);
          slotSource.push(s);
          slotTarget.push(t);
        }
        slot[at++] = k;
      }
    }
  }
  return { slot, slotSource, slotTarget };
}

// IBM Model 1's translation probabilities t(target | source) per slot, by EM from uniform.
function model1(
  pairs: IdPairs,
  slot: Int32Array,
  slotSource: readonly number[],
  srcVocab: number,
  iterations: number,
): Float64Array {
  const nSlots = slotSource.length;
  const prob = new Float64Array(nSlots).fill(1), count = new Float64Array(nSlots);
  const total = new Float64Array(srcVocab + 1);
  for (let it = 0; it < iterations; it++) {
    count.fill(0);
    let at = 0;
    for (const p of pairs) {
      const n = p.source.length + 1;
      for (let j = 0; j < p.target.length; j++, at += n) {
        let z = 0;
        for (let i = at; i < at + n; i++) z += prob[slot[i]];
        for (let i = at; i < at + n; i++) count[slot[i]] += prob[slot[i]] / z;
      }
    }
    total.fill(0);
    for (let k = 0; k < nSlots; k++) total[slotSource[k]] += count[k];
    for (let k = 0; k < nSlots; k++) prob[k] = count[k] / total[slotSource[k]];
  }
  return prob;
}
