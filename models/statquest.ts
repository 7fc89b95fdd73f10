/**
 * The StatQuest model of StatQuest's "Transformer Neural Networks, ChatGPT's foundation,
 * Clearly Explained!!!": two English phrases, two Spanish words, two values per token.
 * Training it takes a few milliseconds, so the shipped StatQuest model is trained at start-up from a
 * fixed seed instead of being stored. The CLIs, the tests and the playground build it here.
 * @module
 */
import { createModel, type Transformer } from "../src/model/model.ts";
import { Vocabulary } from "../src/text/vocabulary.ts";
import { train } from "../src/train/train.ts";
import {
  STATQUEST_ENGLISH,
  STATQUEST_PAIRS,
  STATQUEST_SPANISH,
} from "../src/train/statquest_pairs.ts";

export { STATQUEST_ENGLISH, STATQUEST_PAIRS, STATQUEST_SPANISH };

/**
 * The StatQuest model with fresh weights from `seed` (default 0), not trained: the starting
 * point of training it yourself.
 *
 * @example
 * ```ts
 * import { createStatquestModel } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const model = createStatquestModel();
 * equal(model.config.dModel, 2);
 * model.close();
 * ```
 */
export function createStatquestModel(opts: { seed?: number; threads?: number } = {}): Transformer {
  return createModel("statquest", {
    srcVocab: new Vocabulary(STATQUEST_ENGLISH),
    tgtVocab: new Vocabulary(STATQUEST_SPANISH),
    seed: opts.seed ?? 0,
    // Two values per token: one thread is all this model can use.
    threads: opts.threads ?? 1,
  });
}

/**
 * The StatQuest model, trained deterministically (seed 0, Adam at a constant 0.1, 100
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
  const model = createStatquestModel({ threads });
  train(model, STATQUEST_PAIRS, {
    epochs: 100,
    schedule: "constant",
    lr: 0.1,
    smoothing: 0,
    seed: 0,
  });
  return model;
}
