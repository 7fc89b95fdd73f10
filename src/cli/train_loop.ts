/**
 * train.ts's loop around `trainAsync`: the progress line, validation loss and dev BLEU
 * every so many steps, periodic checkpoints and snapshots, the weights to average, and
 * Ctrl-C, which ends the run with a checkpoint instead of losing it.
 * @module
 */
import { WeightAverage } from "../checkpoint/average.ts";
import type { Transformer } from "../model/model.ts";
import { groupBySource } from "../train/data.ts";
import { corpusBleu } from "../train/metrics.ts";
import type { Adam } from "../train/optimizer.ts";
import type { Example } from "../train/batches.ts";
import {
  evaluateLoss,
  type SentencePair,
  type StepInfo,
  trainAsync,
  TrainingDivergedError,
} from "../train/train.ts";
import { Progress } from "./progress.ts";
import type { CheckpointWriter } from "./train_outputs.ts";

/** How the loop runs: its length, its evaluations, saves and averaging. */
export interface LoopOptions {
  epochs: number;
  maxSteps?: number;
  batchTokens: number;
  smoothing: number;
  seed: number;
  /** Evaluate every N steps (and at the last). */
  evalEvery: number;
  /** Save a checkpoint when this many milliseconds have passed since the last. */
  saveMs: number;
  /** Take a --keep snapshot every N steps (else at each save). */
  keepEvery?: number;
  /**
   * Average the weights after the steps that are multiples of `averageEvery` among the
   * last `average`·`averageEvery`.
   */
  average?: number;
  averageEvery: number;
}

/** How the loop ended. */
export interface LoopResult {
  /** Ctrl-C ended it early. */
  interrupted: boolean;
  /** The loss became non-finite (reported): nothing after the last good checkpoint was written. */
  diverged: boolean;
  /** The weights to average (empty without --average). */
  averaged: WeightAverage;
  /** Optimizer steps this run took (0: a resumed run had nothing left to do). */
  steps: number;
}

/** Dev BLEU of the model on up to `n` source sentences (all references counted). */
export function devBleu(model: Transformer, dev: SentencePair[], n: number): number {
  const groups = groupBySource(dev).slice(0, n);
  const ok = groups.filter((g) => {
    try {
      model.encodeSource(g.source);
      return true;
    } catch {
      return false;
    }
  });
  const hyps: string[] = [];
  for (let i = 0; i < ok.length; i += 64) {
    const batch = ok.slice(i, i + 64);
    hyps.push(...model.translate(batch.map((g) => g.source)));
  }
  return corpusBleu(hyps, ok.map((g) => g.references)).score;
}

/** Trains `model` on `examples`, reporting, evaluating and saving as it goes. */
export async function trainWithCheckpoints(
  model: Transformer,
  adam: Adam,
  examples: Example[],
  held: { dev: SentencePair[]; devExamples: Example[] },
  writer: CheckpointWriter,
  o: LoopOptions,
): Promise<LoopResult> {
  const loop = new LoopSteps(model, held, writer, o);
  const ctrlC = watchCtrlC();
  try {
    await trainAsync(model, examples, {
      optimizer: adam,
      epochs: o.epochs,
      maxSteps: o.maxSteps,
      batchTokens: o.batchTokens,
      smoothing: o.smoothing,
      seed: o.seed,
      onStep: (s) => {
        loop.onStep(s);
        return !ctrlC.interrupted;
      },
    });
  } catch (e) {
    if (!(e instanceof TrainingDivergedError)) throw e;
    loop.progress.endLine();
    const last = writer.lastSaved;
    console.error(
      `train: ${e.message} ` +
        (last
          ? `The last good checkpoint is ${last.path} (step ${last.step}); nothing newer was written.`
          : "No checkpoint was written."),
    );
    return { interrupted: ctrlC.interrupted, diverged: true, ...loop.result() };
  } finally {
    loop.progress.endLine();
    ctrlC.stop();
  }
  loop.pointSoFar(adam.step);
  return { interrupted: ctrlC.interrupted, diverged: false, ...loop.result() };
}

// Ctrl-C sets `interrupted` (the loop then ends with a checkpoint) until `stop()`.
function watchCtrlC(): { readonly interrupted: boolean; stop(): void } {
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch {
    // no signals here (Windows without a console): Ctrl-C then just ends the process
  }
  return {
    get interrupted() {
      return interrupted;
    },
    stop() {
      try {
        Deno.removeSignalListener("SIGINT", onSigint);
      } catch {
        // never added
      }
    },
  };
}

// What the loop does after each optimizer step: the weights to average, the loss curve,
// the progress line, evaluations, snapshots and periodic saves.
class LoopSteps {
  readonly progress = new Progress();
  readonly averaged = new WeightAverage();
  #lossSum = 0;
  #lossCount = 0;
  #steps = 0;
  #lastSave = performance.now();

  constructor(
    readonly model: Transformer,
    readonly held: { dev: SentencePair[]; devExamples: Example[] },
    readonly writer: CheckpointWriter,
    readonly o: LoopOptions,
  ) {}

  result(): { averaged: WeightAverage; steps: number } {
    return { averaged: this.averaged, steps: this.#steps };
  }

  // The training loss since the last point, as a point of the curve (a save between
  // evaluations, or Ctrl-C before the first, still draws the curve so far).
  pointSoFar(step: number, validation?: number): void {
    if (!this.#lossCount) return;
    this.writer.curve.push({ step, train: this.#lossSum / this.#lossCount, validation });
    this.#lossSum = 0;
    this.#lossCount = 0;
  }

  onStep(s: StepInfo): void {
    const { o, held, model, writer } = this;
    const last = s.step === s.totalSteps;
    // The sum (f64, oldest first, as average.ts adds) of the weights after the chosen
    // steps: the same steps --keep-every snapshots.
    if (
      o.average && s.step % o.averageEvery === 0 &&
      s.step > s.totalSteps - o.average * o.averageEvery
    ) this.averaged.add(model.core.params.values.view(), s.step);
    this.#lossSum += s.loss;
    this.#lossCount++;
    this.#steps++;
    this.progress.step(s);
    if (held.devExamples.length && (s.step % o.evalEvery === 0 || last)) {
      const val = evaluateLoss(model, held.devExamples, o.smoothing || 0.1);
      const bleu = devBleu(model, held.dev, 300);
      this.pointSoFar(s.step, val);
      this.#print(`step ${s.step}: validation loss ${val.toFixed(3)}, dev BLEU ${bleu.toFixed(1)}`);
    }
    // A save that fails is reported and tried again later: training goes on.
    if (o.keepEvery && s.step % o.keepEvery === 0 && !last) {
      try {
        writer.keepSnapshot();
      } catch (e) {
        this.#print(`train: ${(e as Error).message}; training goes on.`);
      }
    }
    if (performance.now() - this.#lastSave > o.saveMs && !last) {
      this.pointSoFar(s.step);
      try {
        writer.savePeriodic(!o.keepEvery);
      } catch (e) {
        this.#print(
          `train: ${(e as Error).message}; training goes on, the next save tries again.`,
        );
      }
      this.#lastSave = performance.now();
    }
  }

  #print(line: string): void {
    this.progress.print(line, true);
  }
}
