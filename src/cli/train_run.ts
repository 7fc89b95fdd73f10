/**
 * train.ts's steps between its inputs and its outputs: the optimizer (resumed or new),
 * the checkpoint writer with the run's metadata, the loop's options from the settings,
 * and the end of the run (nothing trained, interrupted, or done).
 * @module
 */
import { Adam } from "../train/optimizer.ts";
import type { Transformer } from "../model/model.ts";
import type { RunSettings } from "../checkpoint/run_record.ts";
import { VamosError } from "../errors.ts";
import type { TrainFlags } from "./train_flags.ts";
import type { StartingPoint } from "./train_inputs.ts";
import type { LoopOptions, LoopResult } from "./train_loop.ts";
import {
  CheckpointWriter,
  continueCommand,
  type OutputPaths,
  runMetadata,
} from "./train_outputs.ts";

/** The optimizer of the run: the resumed checkpoint's, or a new Adam. */
export function optimizerFor(start: StartingPoint, model: Transformer, run: RunSettings): Adam {
  return (start.resumed ? start.checkpoint!.optimizer : undefined) ??
    new Adam(model.core.params, model.config.dModel, {
      schedule: run.schedule,
      lr: run.lr,
      warmup: run.warmup,
      clipNorm: run.clip,
    });
}

/** The writer of the run's checkpoints, with its metadata and what a resumed run did. */
export function writerFor(
  flags: TrainFlags,
  start: StartingPoint,
  run: RunSettings,
  paths: OutputPaths,
  model: Transformer,
  adam: Adam,
): CheckpointWriter {
  const was = start.checkpoint?.metadata;
  const initFrom = flags.init
    ? `${flags.init}${was?.steps ? ` (${was.steps} steps)` : ""}`
    : was?.init_from;
  const writer = new CheckpointWriter(paths, model, adam, runMetadata(run, initFrom), {
    keep: flags.keep,
    average: run.average || undefined,
    resumed: start.resumed,
    f16: flags.f16,
    trainedSeconds: start.resumed ? Number(was?.training_seconds ?? 0) : 0,
    title: `${run.preset}: loss by step`,
  });
  if (start.resumed) writer.lastSaved = { path: flags.resume!, step: adam.step };
  return writer;
}

/** The loop's options from the run's settings and the flags. */
export function loopOptions(flags: TrainFlags, run: RunSettings): LoopOptions {
  return {
    epochs: run.epochs,
    maxSteps: run.max_steps || undefined,
    batchTokens: run.batch_tokens,
    smoothing: run.smoothing,
    seed: run.seed,
    evalEvery: flags.evalEvery ?? 500,
    saveMs: (flags.saveMinutes ?? 5) * 60_000,
    keepEvery: flags.keepEvery,
    average: run.average || undefined,
    averageEvery: run.average_every,
  };
}

/** A resumed run that trained nothing is an error that says why; the files stay as they are. */
export function checkTrainedSomething(
  flags: TrainFlags,
  start: StartingPoint,
  run: RunSettings,
  result: LoopResult,
  step: number,
): void {
  if (!start.resumed || result.steps > 0 || result.interrupted) return;
  const limit = run.max_steps ? ` (or --max-steps ${run.max_steps})` : "";
  throw new VamosError(
    `--resume ${flags.resume}: nothing left to train, the run has done its ${run.epochs} epochs${limit} ` +
      `at step ${step}; give a larger --epochs${
        run.max_steps ? " or --max-steps" : ""
      } to train further (the files are unchanged)`,
  );
}

/** After Ctrl-C: where the checkpoint went and the command that continues the run. */
export function reportInterrupted(
  flags: TrainFlags,
  paths: OutputPaths,
  full: boolean,
  step: number,
): number {
  const command = continueCommand(flags, paths, full ? paths.full : paths.out);
  console.error(`Interrupted: saved ${paths.out} at step ${step}; continue with: ${command}`);
  return 130; // as a shell reports a command ended by Ctrl-C
}
