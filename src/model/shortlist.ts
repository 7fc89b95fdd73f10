/**
 * A vocabulary shortlist (as Marian and Bergamot decode): for each source token, the
 * target tokens it translates to, learned from the training corpus and stored in the
 * checkpoint, plus the target side's most frequent tokens. A sentence's shortlist is the
 * union of its tokens' lists and the frequent ones, a few hundred of 8,000: the output
 * layer then computes only those logits, and the softmax runs over them.
 * @module
 */
import { VamosError } from "../errors.ts";

/** The most targets one source token may list (the counts are stored in 8 bits). */
export const MAX_SHORTLIST_PER_SOURCE = 255;

/**
 * Per source token, the target tokens it may produce, and the tokens every sentence may.
 * Build one with `learnShortlist`; a checkpoint stores it as three tensors.
 *
 * @example
 * ```ts
 * import { Shortlist } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * // Source token 0 lists targets 3 and 1, token 1 lists none; token 2 goes everywhere.
 * const s = new Shortlist(4, new Uint8Array([2, 0]), new Uint16Array([3, 1]), new Uint16Array([2]));
 * deepEqual([...s.tokensFor([0, 1])], [1, 2, 3]);
 * ```
 */
export class Shortlist {
  /** Where source token s's targets start in {@linkcode targets} (srcVocab + 1 entries). */
  readonly offsets: Int32Array;

  /**
   * Checks the lists (throws a VamosError naming the first problem): `counts[s]` targets
   * per source token, back to back in `targets`, every one below `tgtVocab`.
   */
  constructor(
    /** Size of the target vocabulary. */
    readonly tgtVocab: number,
    /** Per source token, how many targets it lists. */
    readonly counts: Uint8Array,
    /** Every source token's targets, back to back. */
    readonly targets: Uint16Array,
    /** Target tokens in every sentence's shortlist (the most frequent, EOS, ...). */
    readonly frequent: Uint16Array,
  ) {
    if (!Number.isInteger(tgtVocab) || tgtVocab < 1 || tgtVocab > 65536) {
      throw new VamosError(`A shortlist needs a target vocabulary of 1 to 65536, not ${tgtVocab}`);
    }
    this.offsets = new Int32Array(counts.length + 1);
    for (let s = 0; s < counts.length; s++) this.offsets[s + 1] = this.offsets[s] + counts[s];
    if (this.offsets[counts.length] !== targets.length) {
      throw new VamosError(
        `The shortlist's counts add up to ${
          this.offsets[counts.length]
        } targets, but it holds ${targets.length}`,
      );
    }
    for (const [what, list] of [["targets", targets], ["frequent tokens", frequent]] as const) {
      const bad = list.findIndex((t) => t >= tgtVocab);
      if (bad >= 0) {
        throw new VamosError(
          `The shortlist's ${what} hold token ${
            list[bad]
          }, beyond the ${tgtVocab} of the vocabulary`,
        );
      }
    }
    if (frequent.length === 0) throw new VamosError("The shortlist has no frequent tokens");
  }

  /** Size of the source vocabulary it covers. */
  get srcVocab(): number {
    return this.counts.length;
  }

  /**
   * The target tokens a sentence of these source ids may produce, ascending: the frequent
   * ones and every listed target of its tokens (ids outside the source vocabulary list none).
   */
  tokensFor(src: readonly number[]): Int32Array {
    const seen = new Uint8Array(this.tgtVocab);
    for (const t of this.frequent) seen[t] = 1;
    for (const s of src) {
      if (!(s >= 0 && s < this.counts.length)) continue;
      for (let i = this.offsets[s]; i < this.offsets[s + 1]; i++) seen[this.targets[i]] = 1;
    }
    let n = 0;
    for (let t = 0; t < seen.length; t++) n += seen[t];
    const out = new Int32Array(n);
    for (let t = 0, i = 0; t < seen.length; t++) if (seen[t]) out[i++] = t;
    return out;
  }
}
