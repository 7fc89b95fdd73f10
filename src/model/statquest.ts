/**
 * The textbook toy of StatQuest's "Transformer Neural Networks, ChatGPT's foundation,
 * Clearly Explained!!!": two English phrases, two Spanish words, two values per token.
 * Training it takes a few milliseconds, so the default model is trained at start-up
 * from a fixed seed instead of being stored.
 * @module
 */
import { createModel, type Transformer } from "./model.ts";
import { Vocabulary } from "../text/vocabulary.ts";
import { train } from "../train/train.ts";

/** The toy's English vocabulary, in the textbook's order. */
export const STATQUEST_ENGLISH: readonly string[] = ["let's", "to", "go", "<EOS>"];
/** The toy's Spanish vocabulary, in the textbook's order. */
export const STATQUEST_SPANISH: readonly string[] = ["ir", "vamos", "y", "<EOS>"];
/** The toy's training data. */
export const STATQUEST_PAIRS: readonly { source: string; target: string }[] = [
  { source: "let's go", target: "vamos" },
  { source: "to go", target: "ir" },
];

/**
 * The textbook toy, trained deterministically (seed 0, Adam at a constant 0.1, 100
 * epochs over the two pairs, no label smoothing): translates "let's go" to "vamos" and
 * "to go" to "ir".
 *
 * @example
 * ```ts
 * import { statquestModel } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const model = statquestModel();
 * equal(model.translate("let's go"), "vamos");
 * equal(model.translate("to go"), "ir");
 * ```
 */
export function statquestModel(threads = 1): Transformer {
  // Two values per token: one thread is all this model can use.
  const model = createModel("statquest", {
    srcVocab: new Vocabulary(STATQUEST_ENGLISH),
    tgtVocab: new Vocabulary(STATQUEST_SPANISH),
    seed: 0,
    threads,
  });
  train(model, STATQUEST_PAIRS, {
    epochs: 100,
    schedule: "constant",
    lr: 0.1,
    smoothing: 0,
    seed: 0,
  });
  return model;
}
