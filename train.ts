/**
 * Trains a Transformer from the command line and writes a safetensors checkpoint.
 *
 *   deno run -A train.ts --preset statquest                      the textbook toy
 *   deno run -A train.ts --data pairs.tsv --preset translator    a real model
 *   deno task train:default                                      the shipped model
 *
 * Checkpoints (with the optimizer, for --resume) are written atomically every few
 * minutes and at the end; Ctrl-C saves one and exits; a non-finite loss stops with the
 * last good checkpoint untouched. A loss curve is written beside the checkpoint.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { STATQUEST_PAIRS } from "./models/statquest.ts";
import { loadModel } from "./src/checkpoint/checkpoint.ts";
import { knownWords } from "./src/text/verbatim.ts";
import { Adam } from "./src/train/optimizer.ts";
import { formatDuration } from "./src/cli/progress.ts";
import { runCli } from "./src/cli/run.ts";
import { readTrainFlags, TRAIN_HELP } from "./src/cli/train_flags.ts";
import {
  newModel,
  readTrainingData,
  startingPoint,
  trainingExamples,
} from "./src/cli/train_inputs.ts";
import { devBleu, trainWithCheckpoints } from "./src/cli/train_loop.ts";
import {
  CheckpointWriter,
  continueCommand,
  outputPaths,
  runMetadata,
} from "./src/cli/train_outputs.ts";
import { VamosError } from "./src/errors.ts";
import { resolveRun } from "./src/cli/train_settings.ts";

async function main(args: string[]): Promise<number> {
  // 1. The settings: flags, settled against the checkpoint resumed or fine-tuned.
  const flags = readTrainFlags(args);
  if (flags === "help") {
    console.log(TRAIN_HELP);
    return 0;
  }
  const start = await startingPoint(flags);
  const { run, toy } = resolveRun({
    ...flags.run,
    hasData: flags.data !== undefined,
    fromCheckpoint: start.checkpoint !== undefined,
  }, start.recorded);
  // 2. The outputs, checked before any work; then the data.
  const paths = outputPaths(flags, run);
  const data = await readTrainingData(flags, run, toy, start);

  // 3. The model: the checkpoint's, or a new one with vocabularies from the training data.
  const model = start.checkpoint?.model ?? newModel(run, toy, data.train, flags.threads);
  if (start.checkpoint) {
    console.error(
      start.resumed
        ? `Resuming ${flags.resume} at step ${start.checkpoint.optimizer!.step}.`
        : `Fine-tuning the weights of ${flags.init} with a fresh optimizer.`,
    );
  }
  if (run.verbatim) {
    // A model trained with placeholders carries spans through (saved in its metadata).
    model.verbatim = true;
    model.verbatimKnown = new Set(knownWords(data.train.map((p) => p.source)));
  }
  const { examples, devExamples } = trainingExamples(model, data, run.preset);

  // 4. Train, saving as it goes.
  const adam = (start.resumed ? start.checkpoint!.optimizer : undefined) ??
    new Adam(model.core.params, model.config.dModel, {
      schedule: run.schedule,
      lr: run.lr,
      warmup: run.warmup,
      clipNorm: run.clip,
    });
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
  const result = await trainWithCheckpoints(
    model,
    adam,
    examples,
    { dev: data.dev, devExamples },
    writer,
    {
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
    },
  );
  if (result.diverged) {
    model.close();
    return 1;
  }
  if (start.resumed && result.steps === 0 && !result.interrupted) {
    // Nothing trained: say so, and leave the files as they are.
    model.close();
    const limit = run.max_steps ? ` (or --max-steps ${run.max_steps})` : "";
    throw new VamosError(
      `--resume ${flags.resume}: nothing left to train, the run has done its ${run.epochs} epochs${limit} ` +
        `at step ${adam.step}; give a larger --epochs${
          run.max_steps ? " or --max-steps" : ""
        } to train further (the files are unchanged)`,
    );
  }

  // 5. The final save: the last weights (and snapshot); with --average, their mean.
  const { bytes, problems } = writer.saveFinal(
    result.interrupted ? undefined : result.averaged,
    () => data.dev.length ? devBleu(model, data.dev, 300) : undefined,
  );
  model.close();
  if (problems.length) {
    for (const p of problems) console.error(`train: ${p}`);
    return 1;
  }
  if (result.interrupted) {
    const command = continueCommand(flags, paths, bytes.full ? paths.full : paths.out);
    console.error(
      `Interrupted: saved ${paths.out} at step ${adam.step}; continue with: ${command}`,
    );
    return 130; // as a shell reports a command ended by Ctrl-C
  }
  console.error(`Wrote ${paths.out} (${formatDuration(writer.seconds)}).`);
  if (toy) {
    const copy = await loadModel(bytes.main, { threads: 1 });
    for (const p of STATQUEST_PAIRS) console.log(`${p.source} -> ${copy.translate(p.source)}`);
  }
  return 0;
}

if (import.meta.main) await runCli("train", main);
