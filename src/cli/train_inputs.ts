/**
 * What a training run starts from: the checkpoint it resumes or fine-tunes (checked
 * against the flags), its data (checksum checked, split, augmented) and a new model when
 * there is no checkpoint. Everything is checked before the model is built.
 * @module
 */
import { loadCheckpoint, type LoadedCheckpoint } from "../checkpoint/checkpoint.ts";
import { VamosError } from "../errors.ts";
import { createModel, createSubwordModel, type Transformer } from "../model/model.ts";
import type { BpeCodec } from "../text/bpe.ts";
import { Vocabulary } from "../text/vocabulary.ts";
import { tokenizeWords } from "../text/word_tokenizer.ts";
import {
  augmentPairs,
  orientPairs,
  parseTsv,
  readUtf8Text,
  sha256Hex,
  splitBySource,
  trainingPairs,
} from "../train/data.ts";
import type { Example } from "../train/batches.ts";
import { type SentencePair, toExamples } from "../train/train.ts";
import { createStatquestModel, STATQUEST_PAIRS } from "../../models/statquest.ts";
import { modelBytesForCli } from "./models.ts";
import { plural } from "./progress.ts";
import { readFileForCli, UsageError } from "./run.ts";
import type { TrainFlags } from "./train_flags.ts";
import {
  INIT_FIXES,
  resumeConflicts,
  type RunSettings,
  SETTING_FLAGS,
  settingsForInit,
  settingsFromCheckpoint,
  SHAPE_FLAGS,
} from "./train_settings.ts";

/** The checkpoint a run continues (`--resume`) or fine-tunes (`--init`), and what it recorded. */
export interface StartingPoint {
  /** The loaded checkpoint; undefined for a new model. */
  checkpoint?: LoadedCheckpoint;
  /** `--resume`: the optimizer goes on; `--init`: a fresh one. */
  resumed: boolean;
  /** The settings the checkpoint fixes for this run. */
  recorded: Partial<RunSettings>;
}

/** Loads the checkpoint of `--resume` or `--init`, refusing flags that contradict it. */
export async function startingPoint(flags: TrainFlags): Promise<StartingPoint> {
  if (flags.resume) {
    const loaded = loadCheckpoint(await modelBytesForCli(flags.resume, "checkpoint"), {
      threads: flags.threads,
    });
    if (!loaded.optimizer) {
      loaded.model.close();
      throw new VamosError(
        `${flags.resume} has no optimizer state (a shipped model); resume from its .full.safetensors`,
      );
    }
    const recorded = settingsFromCheckpoint(loaded.metadata, loaded.optimizer);
    const conflicts = resumeConflicts(
      { ...flags.run, hasData: true, fromCheckpoint: true },
      recorded,
      loaded.model.config,
    );
    if (conflicts.length) {
      loaded.model.close();
      throw new UsageError(
        `--resume ${flags.resume} continues a run with other settings: ${conflicts.join("; ")}. ` +
          "Drop these flags to continue it, or train a new model without --resume",
      );
    }
    return { checkpoint: loaded, resumed: true, recorded };
  }
  if (flags.init) {
    const clashing = INIT_FIXES.filter((f) =>
      flags.run[SETTING_FLAGS[f] as keyof TrainFlags["run"]] !== undefined
    )
      .concat(SHAPE_FLAGS.filter(([, key]) => flags.run.shape[key] !== undefined).map(([f]) => f));
    if (clashing.length) {
      throw new UsageError(
        `--init ${flags.init} fixes ${clashing.map((f) => `--${f}`).join(", ")}: drop them`,
      );
    }
    const init = loadCheckpoint(await modelBytesForCli(flags.init), {
      threads: flags.threads,
      int8: false,
    });
    const model = init.model;
    const tokenizer = model.codec.kind === "bpe" ? "bpe" : "word";
    return {
      checkpoint: init,
      resumed: false,
      recorded: settingsForInit(init.metadata, tokenizer, model.srcVocab.size),
    };
  }
  return { resumed: false, recorded: {} };
}

/** The sentence pairs of a run: held-out splits, and the training pairs as augmented. */
export interface TrainingData {
  train: SentencePair[];
  dev: SentencePair[];
  test: SentencePair[];
  /** `train` with the casual, verbatim and StatQuest pairs the settings add. */
  augmented: SentencePair[];
}

/**
 * Reads the run's data (the two StatQuest pairs for the StatQuest model), refusing a file whose
 * checksum is not the one asked for or recorded; records the checksum in `run`.
 */
export async function readTrainingData(
  flags: TrainFlags,
  run: RunSettings,
  statquest: boolean,
  start: StartingPoint,
): Promise<TrainingData> {
  const from = flags.resume ?? flags.init;
  let pairs: SentencePair[];
  if (statquest) pairs = [...STATQUEST_PAIRS];
  else {
    if (!flags.data) {
      throw new UsageError(
        flags.resume
          ? `--resume ${flags.resume} needs the data it was trained on: add --data FILE`
          : "--data FILE is required for this preset",
      );
    }
    const bytes = await readFileForCli(flags.data, "data file");
    const sha = await sha256Hex(bytes);
    const want = flags.sha256?.toLowerCase() ??
      (start.checkpoint ? run.data_sha256 || undefined : undefined);
    if (want && want !== sha) {
      throw new VamosError(
        start.checkpoint && !flags.sha256
          ? `${flags.data} (sha256 ${sha}) is not the data ${from} was trained on (${want})`
          : `${flags.data} has sha256 ${sha}, expected ${want}: not the documented data file`,
      );
    }
    run.data_sha256 = sha;
    pairs = orientPairs(parseTsv(readUtf8Text(bytes, flags.data), flags.data), run.direction);
  }
  const split = statquest
    ? { train: pairs, dev: [] as SentencePair[], test: [] as SentencePair[] }
    : splitBySource(pairs, { dev: run.dev, test: run.test, seed: run.seed });
  if (split.train.length === 0) {
    throw new VamosError(
      `${flags.data} has ${pairs.length} pairs, and --dev ${run.dev} and --test ${run.test} hold them all out; ` +
        "give more data or hold out less",
    );
  }
  if (run.hold_out_reverse && !statquest) split.train = trainingPairs(pairs, run, true);
  return { ...split, augmented: augmentPairs(split.train, run) };
}

/** A new model for the run: the StatQuest model, or vocabularies learned from the training pairs. */
export function newModel(
  run: RunSettings,
  statquest: boolean,
  train: SentencePair[],
  threads: number | undefined,
): Transformer {
  if (statquest) return createStatquestModel({ seed: run.seed });
  const { preset, seed, shape } = run;
  if (run.tokenizer === "bpe") {
    const t0 = performance.now();
    const sentences = train.flatMap((p) => [p.source, p.target]);
    const model = createSubwordModel(preset, sentences, {
      vocabSize: run.vocab_size,
      seed,
      threads,
      overrides: shape,
    });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.error(`Learned ${(model.codec as BpeCodec).merges.length} BPE merges in ${seconds} s.`);
    return model;
  }
  const words = (side: "source" | "target") => train.map((p) => tokenizeWords(p[side]));
  const minCount = run.min_count;
  const srcVocab = Vocabulary.fromCorpus(words("source"), { minCount, unk: true });
  const tgtVocab = Vocabulary.fromCorpus(words("target"), { minCount, unk: true, sos: true });
  return createModel(preset, { srcVocab, tgtVocab, seed, threads, overrides: shape });
}

/**
 * The run's examples as ids (pairs longer than the model takes are skipped) and up to
 * 2,000 dev examples for the validation loss; says what the run trains.
 */
export function trainingExamples(
  model: Transformer,
  data: TrainingData,
  preset: string,
): { examples: Example[]; devExamples: Example[] } {
  const { examples, skipped } = toExamples(model, data.augmented);
  if (examples.length === 0) {
    model.close();
    throw new VamosError(
      `None of the ${data.augmented.length} training pairs fits this model (longest ${
        model.config.maxLen - 1
      } tokens); give shorter sentences`,
    );
  }
  const devExamples = toExamples(model, data.dev).examples.slice(0, 2000);
  console.error(
    `Training ${preset}: ${model.parameterCount.toLocaleString("en-US")} parameters, ` +
      `${plural(examples.length, "training pair")}${
        skipped ? ` (${skipped} too long, skipped)` : ""
      }, ` +
      `${data.dev.length} dev and ${data.test.length} test pairs held out; vocabularies ` +
      `${model.srcVocab.size}/${model.tgtVocab.size}; ${model.threads} thread${
        model.threads > 1 ? "s" : ""
      }.`,
  );
  return { examples, devExamples };
}
