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
 * A running mean of weights: each added in f64, oldest first, and the mean rounded to f32
 * once. `average.ts` (checkpoints) and `train.ts --average` (the weights after chosen
 * steps) both average through it, so they give the same bits.
 *
 * @example
 * ```ts ignore
 * const avg = new WeightAverage();
 * avg.add(new Float32Array([1, 2]), 100);
 * avg.add(new Float32Array([3, 4]), 200);
 * avg.mean(); // Float32Array [2, 3]; avg.steps: [100, 200]
 * ```
 */
export class WeightAverage {
  #sum?: Float64Array;
  /** How many weight vectors were added. */
  count = 0;
  /** The training step of each, where known. */
  readonly steps: (number | undefined)[] = [];

  /** Adds one vector of weights (all of the same length). */
  add(values: ArrayLike<number>, step?: number): void {
    const sum = this.#sum ??= new Float64Array(values.length);
    if (values.length !== sum.length) {
      throw new CheckpointError(`Cannot average ${values.length} weights with ${sum.length}`);
    }
    for (let j = 0; j < sum.length; j++) sum[j] += values[j];
    this.count++;
    this.steps.push(step);
  }

  /** The element-wise mean, rounded to f32. */
  mean(): Float32Array {
    if (!this.#sum) throw new CheckpointError("Nothing to average: no weights were added");
    const out = new Float32Array(this.#sum.length);
    for (let j = 0; j < out.length; j++) out[j] = this.#sum[j] / this.count;
    return out;
  }

  /** The metadata of an averaged checkpoint: `averaged` and, when known, `averaged_steps`. */
  metadata(): Record<string, string> {
    const m: Record<string, string> = { averaged: String(this.count) };
    if (this.steps.every((s) => s !== undefined)) m.averaged_steps = JSON.stringify(this.steps);
    return m;
  }
}

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
  const average = new WeightAverage();
  files.forEach((bytes, i) => {
    const c = loadCheckpoint(bytes, { threads: 1 });
    try {
      if (!first) first = c;
      else {
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
      // The training step of each checkpoint, where its metadata says.
      const step = c.metadata.steps === undefined ? undefined : Number(c.metadata.steps);
      average.add(c.model.core.params.values.view(), step);
      lastMetadata = c.metadata;
    } finally {
      if (c !== first) c.model.close();
    }
  });
  const model = first!.model;
  model.core.params.values.set(average.mean());
  const { optimizer: _, ...rest } = lastMetadata;
  const averaged = average.metadata();
  const out = saveModel(model, { metadata: { ...rest, ...averaged } });
  model.close();
  return out;
}
