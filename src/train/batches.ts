/**
 * Training examples as token ids, and batches of similar lengths counted in tokens.
 * @module
 */
import { seededRandom } from "../model/random.ts";

/** One training pair: source ids (`<EOS>` appended) and target ids (no start, no end). */
export interface Example {
  /** Source token ids, `<EOS>` included. */
  src: number[];
  /** Target token ids, without start or `<EOS>`. */
  tgt: number[];
}

/**
 * Groups examples into batches of at most `maxTokens` tokens (padding included) and
 * `maxSentences` sentences, sorted by length so little is padding; the batch order is
 * shuffled with `seed`.
 */
export function makeBatches(
  examples: readonly Example[],
  opts: { maxTokens: number; maxSentences?: number; seed: number },
): Example[][] {
  const random = seededRandom(opts.seed);
  // Shuffle first so equal lengths are mixed, then a stable sort by length.
  const order = examples.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  order.sort((a, b) =>
    Math.max(examples[a].src.length, examples[a].tgt.length + 1) -
    Math.max(examples[b].src.length, examples[b].tgt.length + 1)
  );
  const batches: Example[][] = [];
  let cur: Example[] = [];
  let longest = 0;
  for (const i of order) {
    const e = examples[i];
    const len = Math.max(e.src.length, e.tgt.length + 1);
    const l = Math.max(longest, len);
    if (
      cur.length &&
      (l * (cur.length + 1) > opts.maxTokens || cur.length >= (opts.maxSentences ?? Infinity))
    ) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(e);
    longest = Math.max(longest, len);
  }
  if (cur.length) batches.push(cur);
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}
