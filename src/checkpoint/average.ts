/**
 * Checkpoint averaging (Vaswani et al. 2017, §6.1: the base models average the last 5
 * checkpoints): the parameters of several checkpoints of one run, averaged element by
 * element, in a checkpoint of their own. The checkpoints must be of one model: the same
 * config, vocabularies and tokenizer.
 * @module
 */
import { loadCheckpoint, type LoadedCheckpoint, saveModel } from "./checkpoint.ts";
import { CheckpointError } from "./safetensors.ts";

/**
 * Averages checkpoints' weights; returns the averaged model's safetensors bytes (no
 * optimizer state; metadata of the last checkpoint, with `averaged` saying how many).
 *
 * @example
 * ```ts
 * import { averageCheckpoints, createModel, loadModel, saveModel, Vocabulary } from "@vamos/transformer";
 * const vocab = new Vocabulary(["a", "b", "<EOS>"]);
 * const a = createModel("statquest", { srcVocab: vocab, tgtVocab: vocab, seed: 1 });
 * const b = createModel("statquest", { srcVocab: vocab, tgtVocab: vocab, seed: 2 });
 * const mean = await loadModel(averageCheckpoints([saveModel(a), saveModel(b)]));
 * console.log(mean.parameterCount);
 * ```
 */
export function averageCheckpoints(files: readonly Uint8Array[]): Uint8Array {
  if (files.length === 0) throw new CheckpointError("Nothing to average: give checkpoints");
  let first: LoadedCheckpoint | undefined;
  let lastMetadata: Record<string, string> = {};
  let acc = new Float64Array(0);
  // The training steps of the checkpoints, where their metadata says.
  const steps: (string | undefined)[] = [];
  files.forEach((bytes, i) => {
    const c = loadCheckpoint(bytes, { threads: 1 });
    try {
      const values = c.model.core.params.values.toArray();
      if (!first) {
        first = c;
        acc = new Float64Array(values.length);
      } else {
        const same = JSON.stringify(c.model.config) === JSON.stringify(first.model.config) &&
          c.metadata.src_vocab === first.metadata.src_vocab &&
          c.metadata.tgt_vocab === first.metadata.tgt_vocab &&
          (c.metadata.bpe_merges ?? "") === (first.metadata.bpe_merges ?? "");
        if (!same) {
          throw new CheckpointError(
            `Checkpoint ${i + 1} is of another model (config, vocabulary or tokenizer differ); ` +
              "average checkpoints of one run",
          );
        }
      }
      for (let j = 0; j < values.length; j++) acc[j] += values[j];
      lastMetadata = c.metadata;
      steps.push(c.metadata.steps);
    } finally {
      if (c !== first) c.model.close();
    }
  });
  const model = first!.model;
  const mean = new Float32Array(acc.length);
  for (let j = 0; j < acc.length; j++) mean[j] = acc[j] / files.length;
  model.core.params.values.set(mean);
  const { optimizer: _, ...rest } = lastMetadata;
  const averaged: Record<string, string> = { averaged: String(files.length) };
  if (steps.every((s) => s !== undefined)) averaged.averaged_steps = `[${steps.join(",")}]`;
  const out = saveModel(model, { metadata: { ...rest, ...averaged } });
  model.close();
  return out;
}
