/**
 * The training loop: teacher forcing, label-smoothed cross-entropy, Adam with warm-up,
 * gradient clipping, seeded dropout. Same seed and data, same weights, bit for bit.
 * @module
 */
import type { Transformer } from "../model/model.ts";
import { Adam, type OptimizerOptions } from "./optimizer.ts";
import { type Example, makeBatches } from "./batches.ts";
import { VamosError } from "../errors.ts";

/** A pair of sentences to learn from. */
export interface SentencePair {
  /** The sentence in the source language. */
  source: string;
  /** Its translation. */
  target: string;
}

/** What `onStep` receives after every optimizer step. */
export interface StepInfo {
  /** Optimizer steps taken, this one included. */
  step: number;
  /** Pass over the data, from 0. */
  epoch: number;
  /** This batch's mean training loss (label-smoothed, dropout on). */
  loss: number;
  /** The learning rate of this step. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Target tokens in this step's batch (labels that count). */
  tokens: number;
  /** Target tokens per second since training started. */
  tokensPerSecond: number;
  /** Seconds since training started. */
  elapsed: number;
  /** Steps planned in all. */
  totalSteps: number;
}

/** Options of {@linkcode train}. */
export interface TrainOptions extends OptimizerOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Stop after this many steps even if epochs remain. */
  maxSteps?: number;
  /** Tokens per batch, padding included (default 2000). */
  batchTokens?: number;
  /** Sentences per batch at most. */
  batchSentences?: number;
  /** Label smoothing ε (default 0.1). */
  smoothing?: number;
  /** Seed of batch order and dropout (default 0). */
  seed?: number;
  /** Called after each step; return false to stop. */
  onStep?: (info: StepInfo) => void | boolean;
  /**
   * Continue from this optimizer (its step count and moments): with the same data and
   * options, the batches already taken are skipped, so an interrupted and resumed run
   * ends with the same weights as an uninterrupted one. `epochs` and `maxSteps` count
   * from the start of the whole run.
   */
  optimizer?: Adam;
}

/** Raised when the loss or the gradients stop being finite numbers. */
export class TrainingDivergedError extends VamosError {}

/** Turns sentence pairs into id examples, skipping pairs longer than the model takes. */
export function toExamples(
  model: Transformer,
  pairs: readonly SentencePair[],
): { examples: Example[]; skipped: number } {
  const examples: Example[] = [];
  let skipped = 0;
  for (const p of pairs) {
    const src = [...model.srcVocab.encode(model.codec.tokenize(p.source)), model.srcVocab.eos];
    const tgt = model.tgtVocab.encode(model.codec.tokenize(p.target));
    if (
      src.length > model.config.maxLen || tgt.length + 1 > model.config.maxLen || tgt.length === 0
    ) {
      skipped++;
      continue;
    }
    examples.push({ src, tgt });
  }
  return { examples, skipped };
}

/** Mean loss of examples (no dropout, no gradient), in batches. */
export function evaluateLoss(
  model: Transformer,
  examples: readonly Example[],
  smoothing = 0,
  batchTokens = 4000,
): number {
  let total = 0, count = 0;
  for (const batch of makeBatches(examples, { maxTokens: batchTokens, seed: 0 })) {
    const n = batch.reduce((s, e) => s + e.tgt.length + 1, 0);
    total += n * lossOf(model, batch, { smoothing });
    count += n;
  }
  return count ? total / count : NaN;
}

function lossOf(
  model: Transformer,
  batch: readonly Example[],
  opts: { smoothing: number; backward?: boolean; train?: boolean; seed?: number },
): number {
  const start = model.startId, eos = model.tgtVocab.eos;
  return model.core.loss(
    batch.map((e) => e.src),
    batch.map((e) => [start, ...e.tgt]),
    batch.map((e) => [...e.tgt, eos]),
    opts,
  );
}

function* trainSteps(
  model: Transformer,
  data: readonly SentencePair[] | readonly Example[],
  opts: TrainOptions,
): Generator<void, Adam> {
  const examples = data.length && "source" in data[0]
    ? toExamples(model, data as SentencePair[]).examples
    : data as Example[];
  if (examples.length === 0) throw new VamosError("No training examples (all empty or too long?)");
  const adam = opts.optimizer ?? new Adam(model.core.params, model.config.dModel, opts);
  const epochs = opts.epochs ?? 1;
  const seed = opts.seed ?? 0;
  const smoothing = opts.smoothing ?? 0.1;
  const batchTokens = opts.batchTokens ?? 2000;
  const perEpoch =
    makeBatches(examples, { maxTokens: batchTokens, maxSentences: opts.batchSentences, seed })
      .length;
  const totalSteps = Math.min(opts.maxSteps ?? Infinity, perEpoch * epochs);
  const t0 = performance.now();
  const alreadyTaken = adam.step;
  let tokensSeen = 0, position = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Whole epochs a resumed optimizer has already done need no batches.
    if (position + perEpoch <= alreadyTaken) {
      position += perEpoch;
      continue;
    }
    const batches = makeBatches(examples, {
      maxTokens: batchTokens,
      maxSentences: opts.batchSentences,
      seed: seed + epoch * 7919,
    });
    for (const batch of batches) {
      if (position++ < alreadyTaken) continue;
      if (adam.step >= totalSteps) return adam;
      const stepSeed = (seed * 1_000_003 + adam.step + 1) >>> 0;
      const loss = lossOf(model, batch, { smoothing, backward: true, train: true, seed: stepSeed });
      if (!Number.isFinite(loss)) {
        throw new TrainingDivergedError(
          `The loss became ${loss} at step ${
            adam.step + 1
          }; the weights were not updated. Lower the learning rate or clip gradients (clipNorm).`,
        );
      }
      const gradNorm = adam.gradNorm();
      if (!Number.isFinite(gradNorm)) {
        throw new TrainingDivergedError(
          `The gradients became ${gradNorm} at step ${
            adam.step + 1
          }; the weights were not updated. Lower the learning rate.`,
        );
      }
      const { lr } = adam.update(gradNorm);
      const tokens = batch.reduce((s, e) => s + e.tgt.length + 1, 0);
      tokensSeen += tokens;
      const elapsed = (performance.now() - t0) / 1000;
      const go = opts.onStep?.({
        step: adam.step,
        epoch,
        loss,
        lr,
        gradNorm,
        tokens,
        tokensPerSecond: tokensSeen / Math.max(elapsed, 1e-9),
        elapsed,
        totalSteps,
      });
      if (go === false) return adam;
      yield;
    }
  }
  return adam;
}

/**
 * Trains `model` in place on sentence pairs (or prepared examples) and returns the
 * optimizer, whose state a later call can continue from.
 *
 * @example
 * ```ts
 * import { createModel, train, Vocabulary } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const model = createModel("statquest", {
 *   srcVocab: new Vocabulary(["let's", "to", "go", "<EOS>"]),
 *   tgtVocab: new Vocabulary(["ir", "vamos", "y", "<EOS>"]),
 * });
 * const pairs = [{ source: "let's go", target: "vamos" }, { source: "to go", target: "ir" }];
 * train(model, pairs, { epochs: 100, schedule: "constant", lr: 0.1, smoothing: 0 });
 * equal(model.translate("let's go"), "vamos");
 * equal(model.translate("to go"), "ir");
 * ```
 */
export function train(
  model: Transformer,
  data: readonly SentencePair[] | readonly Example[],
  opts: TrainOptions = {},
): Adam {
  const steps = trainSteps(model, data, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * {@linkcode train}, giving the event loop a turn every tenth of a second, so that
 * timers, I/O and signal handlers (Ctrl-C) run while it trains. Same steps, same weights.
 *
 * @example
 * ```ts
 * import { createModel, trainAsync, Vocabulary } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const model = createModel("statquest", {
 *   srcVocab: new Vocabulary(["let's", "to", "go", "<EOS>"]),
 *   tgtVocab: new Vocabulary(["ir", "vamos", "y", "<EOS>"]),
 * });
 * const pairs = [{ source: "let's go", target: "vamos" }, { source: "to go", target: "ir" }];
 * await trainAsync(model, pairs, { epochs: 100, schedule: "constant", lr: 0.1, smoothing: 0 });
 * equal(model.translate("to go"), "ir");
 * ```
 */
export async function trainAsync(
  model: Transformer,
  data: readonly SentencePair[] | readonly Example[],
  opts: TrainOptions = {},
): Promise<Adam> {
  const steps = trainSteps(model, data, opts);
  let last = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - last > 100) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = performance.now();
    }
  }
}
