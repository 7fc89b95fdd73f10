/**
 * Trains a Transformer from the command line and writes a safetensors checkpoint.
 *
 *   deno run -A train.ts --preset statquest                      the StatQuest model
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
import { verbatimKnownWords } from "./src/text/verbatim.ts";
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
import { outputPaths } from "./src/cli/train_outputs.ts";
import {
  checkTrainedSomething,
  loopOptions,
  optimizerFor,
  reportInterrupted,
  writerFor,
} from "./src/cli/train_run.ts";
import { resolveRun } from "./src/cli/train_settings.ts";

async function main(args: string[]): Promise<number> {
  // 1. The settings: flags, settled against the checkpoint resumed or fine-tuned.
  const flags = readTrainFlags(args);
  if (flags === "help") {
    console.log(TRAIN_HELP);
    return 0;
  }
  const start = await startingPoint(flags);
  const { run, statquest } = resolveRun({
    ...flags.run,
    hasData: flags.data !== undefined,
    fromCheckpoint: start.checkpoint !== undefined,
  }, start.recorded);
  // 2. The outputs, checked before any work; then the data.
  const paths = outputPaths(flags, run);
  const data = await readTrainingData(flags, run, statquest, start);

  // 3. The model: the checkpoint's, or a new one with vocabularies from the training data.
  const model = start.checkpoint?.model ?? newModel(run, statquest, data.train, flags.threads);
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
    model.verbatimKnown = new Set(verbatimKnownWords(data.train, model.codec));
  }
  const { examples, devExamples } = trainingExamples(model, data, run.preset);

  // 4. Train, saving as it goes.
  const adam = optimizerFor(start, model, run);
  const writer = writerFor(flags, start, run, paths, model, adam);
  const result = await trainWithCheckpoints(
    model,
    adam,
    examples,
    { dev: data.dev, devExamples },
    writer,
    loopOptions(flags, run),
  );
  if (result.diverged) {
    model.close();
    return 1;
  }
  try {
    checkTrainedSomething(flags, start, run, result, adam.step);
  } catch (e) {
    model.close();
    throw e;
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
  if (result.interrupted) return reportInterrupted(flags, paths, !!bytes.full, adam.step);
  console.error(`Wrote ${paths.out} (${formatDuration(writer.seconds)}).`);
  if (statquest) {
    const copy = await loadModel(bytes.main, { threads: 1 });
    for (const p of STATQUEST_PAIRS) console.log(`${p.source} -> ${copy.translate(p.source)}`);
  }
  return 0;
}

if (import.meta.main) await runCli("train", main);
