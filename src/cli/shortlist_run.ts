/**
 * shortlist.ts's steps: a checkpoint's training pairs as it was trained on them (its
 * recorded split of the data, augmented as its run was) in token ids, and the shortlist
 * learned from them.
 * @module
 */
import { recordedRun, recordedSplit } from "../checkpoint/run_record.ts";
import type { Transformer } from "../model/model.ts";
import type { Shortlist } from "../model/shortlist.ts";
import { augmentPairs, orientPairs, parseTsv, readUtf8Text, trainingPairs } from "../train/data.ts";
import { learnShortlist } from "../train/shortlist.ts";
import { type SentencePair, toExamples } from "../train/train.ts";

/** A training pair in token ids, the target ending with EOS. */
export interface IdPair {
  source: number[];
  target: number[];
}

/**
 * The training split (before augmentation, in the model's direction) of the model whose
 * checkpoint `metadata` records its split of `data`.
 */
export function recordedTrainingPairs(
  metadata: Record<string, string>,
  data: Uint8Array,
  dataPath: string,
): SentencePair[] {
  const split = recordedSplit(metadata)!, run = recordedRun(metadata);
  const pairs = orientPairs(
    parseTsv(readUtf8Text(data, dataPath), dataPath),
    run.direction ?? "en-es",
  );
  return trainingPairs(pairs, split, run.hold_out_reverse);
}

/** The training pairs of the model whose checkpoint `metadata` records its split of `data`. */
export function trainingIds(
  model: Transformer,
  metadata: Record<string, string>,
  data: Uint8Array,
  dataPath: string,
): IdPair[] {
  const split = recordedSplit(metadata)!, run = recordedRun(metadata);
  // The pairs as the model was trained on them: its split, augmented as its run was.
  const train = augmentPairs(recordedTrainingPairs(metadata, data, dataPath), {
    ...run,
    seed: split.seed,
  });
  const { examples } = toExamples(model, train);
  const eos = model.tgtVocab.eos;
  return examples.map((e) => ({ source: e.src, target: [...e.tgt, eos] }));
}

/**
 * The shortlist of `model` learned from `ids`: a source token's own spelling and other-case
 * spellings of its targets included, EOS and the start token always.
 */
export function learnModelShortlist(
  model: Transformer,
  ids: IdPair[],
  opts: { perSource?: number; frequent?: number },
): Shortlist {
  const tokens = model.tgtVocab.tokens;
  return learnShortlist(ids, model.config.srcVocab, model.config.tgtVocab, {
    ...opts,
    sameToken: (s) => model.tgtVocab.id(model.srcVocab.tokens[s]) ?? -1,
    // A word listed lowercase may open a sentence capitalized, and the other way round.
    related: (t) => {
      const other = otherCase(tokens[t]);
      const id = other === undefined ? undefined : model.tgtVocab.id(other);
      return id === undefined ? [] : [id];
    },
    always: [model.tgtVocab.eos, model.startId],
  });
}

// A token with its first letter (after the word mark ▁) in the other case, if it has one.
function otherCase(token: string): string | undefined {
  const at = token.startsWith("▁") ? 1 : 0;
  const c = token.charAt(at);
  const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
  return swapped === c ? undefined : token.slice(0, at) + swapped + token.slice(at + 1);
}
