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
import { modelBytesForCli } from "./src/cli/models.ts";
import { formatDuration, Progress } from "./src/cli/progress.ts";
import {
  resolveRun,
  type RunSettings,
  SETTING_FLAGS,
  settingsFromMetadata,
  SHAPE_FLAGS,
} from "./src/cli/train_settings.ts";
import { WeightAverage } from "./src/checkpoint/average.ts";
import { knownWords } from "./src/text/verbatim.ts";
import {
  numberFlag,
  parseFlags,
  readFileForCli,
  runCli,
  threadsFlag,
  UsageError,
} from "./src/cli/run.ts";
import {
  checkOutputPath,
  removeStaleTemporaries,
  writeAtomic,
  writeOrRescue,
} from "./src/cli/output_files.ts";
import { createModel, createSubwordModel, type Transformer } from "./src/model/model.ts";
import {
  configFromPreset,
  type PresetName,
  PRESETS,
  type TransformerConfig,
} from "./src/model/config.ts";
import { createStatquestModel, STATQUEST_PAIRS } from "./models/statquest.ts";
import { Vocabulary } from "./src/text/vocabulary.ts";
import { tokenizeWords } from "./src/text/word_tokenizer.ts";
import type { BpeCodec } from "./src/text/bpe.ts";
import {
  evaluateLoss,
  type SentencePair,
  toExamples,
  trainAsync,
  TrainingDivergedError,
} from "./src/train/train.ts";
import {
  loadCheckpoint,
  type LoadedCheckpoint,
  loadModel,
  saveModel,
} from "./src/checkpoint/checkpoint.ts";
import { Adam } from "./src/train/optimizer.ts";
import {
  addCasualVariants,
  addVerbatimSpans,
  groupBySource,
  parseTsv,
  readUtf8Text,
  sha256Hex,
  splitBySource,
  textbookPairs,
} from "./src/train/data.ts";
import { corpusBleu } from "./src/train/metrics.ts";
import { type CurvePoint, lossCurveSvg } from "./src/train/loss_curve.ts";
import { VamosError } from "./src/errors.ts";

const HELP = `Usage: deno run -A train.ts [options]

Trains a Transformer and writes a safetensors checkpoint that translate.ts --model reads.

Model and data:
  --preset NAME        statquest | small | base | translator (default: small; statquest
                       without --data trains the textbook toy on its two sentence pairs)
  --data FILE          tab-separated english<TAB>spanish lines (extra columns ignored)
  --sha256 HEX         refuse to train unless the data file has this checksum
  --tokenizer KIND     bpe (subwords shared by both languages, default) | word
  --vocab-size N       BPE vocabulary size (default 8000)
  --min-count N        word tokenizer: words seen fewer times become <unk> (default 2)
  --casual X           also train on a lowercase, unpunctuated copy of this fraction of
                       the pairs, so text typed casually translates well (default 0)
  --verbatim X         in this fraction of the pairs, swap what both sides share verbatim
                       (names, numbers, symbols) for placeholders, or add one, so the model
                       learns to carry URLs, numbers, emoji and names through (default 0)
  --textbook           add the textbook's pairs (let's go → Vamos., to go → Ir.), as typed
                       and as written (Let's go. → Vamos.)
  --textbook-copies N  add them N times, so two pairs weigh something among 100,000 (default 1)
  --dev X, --test X    fractions of source sentences held out (default 0.02 each)
  --seed N             seed of the split, the weights, batches and dropout (default 0)
  --d-model N, --heads N, --encoder-layers N, --decoder-layers N, --d-ff N, --dropout X
                       change the preset's shape (e.g. a deeper encoder than decoder)
Training:
  --epochs N           passes over the training data (default: 10; statquest: 100)
  --max-steps N        stop after N optimizer steps
  --batch-tokens N     tokens per batch, padding included (default 2000)
  --lr X               learning rate (constant) or warm-up factor (noam; default 1)
  --schedule S         noam | constant (default noam; statquest: constant 0.1)
  --warmup N           warm-up steps (default 4000)
  --smoothing X        label smoothing (default 0.1; statquest: 0)
  --clip X             clip gradients to this global norm (default: no clipping)
  --threads N          threads for the kernels (default: every core; results do not depend on it)
Output:
  --out FILE           checkpoint to write (default: <preset>.safetensors; with --resume, the
                       checkpoint resumed); an existing file is only replaced with --force
  --force              replace an existing --out file
  --resume FILE        continue an interrupted run: its settings come from the checkpoint
                       (give the same --data); flags that contradict them are refused;
                       --epochs, --max-steps, --threads and the output flags may change
  --init FILE          fine-tune: start a new run from the weights, tokenizer and data split
                       of FILE (a checkpoint, or "default" for the shipped model), with a
                       fresh optimizer; give the data it was trained on
  --eval-every N       validation loss and dev BLEU every N steps (default 500)
  --save-minutes M     write a checkpoint every M minutes (default 5; 0: after every step)
  --keep N             also keep the weights of the last N saves as <out>.step<STEP>.safetensors
                       (older ones are removed), to average with average.ts as the paper does
  --keep-every N       with --keep: take those snapshots every N steps instead of at each save
                       (the same steps on every machine)
  --average N          write the mean of the weights after the steps that are multiples of
                       --average-every among the last N·(--average-every) steps, as the paper
                       averages its last checkpoints; the full checkpoint keeps the last weights
  --average-every N    steps between the averaged weights (default 100)
  --ship               write the final weights without the optimizer state (for shipping);
                       the full checkpoint, for checks and resuming, goes to <out>.full.safetensors
  --f16                like --ship, and store the final weights as 16-bit floats
  -h, --help           this help`;

/** Dev BLEU of the model on up to `n` source sentences (all references counted). */
function devBleu(model: Transformer, dev: SentencePair[], n: number): number {
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

async function main(args: string[]): Promise<number> {
  const v = parseFlags(args, {
    preset: { type: "string" },
    data: { type: "string" },
    sha256: { type: "string" },
    tokenizer: { type: "string" },
    "vocab-size": { type: "string" },
    "min-count": { type: "string" },
    casual: { type: "string" },
    verbatim: { type: "string" },
    textbook: { type: "boolean" },
    "textbook-copies": { type: "string" },
    dev: { type: "string" },
    test: { type: "string" },
    seed: { type: "string" },
    "d-model": { type: "string" },
    heads: { type: "string" },
    "encoder-layers": { type: "string" },
    "decoder-layers": { type: "string" },
    "d-ff": { type: "string" },
    dropout: { type: "string" },
    epochs: { type: "string" },
    "max-steps": { type: "string" },
    "batch-tokens": { type: "string" },
    lr: { type: "string" },
    schedule: { type: "string" },
    warmup: { type: "string" },
    smoothing: { type: "string" },
    clip: { type: "string" },
    threads: { type: "string" },
    out: { type: "string" },
    resume: { type: "string" },
    init: { type: "string" },
    force: { type: "boolean", default: false },
    "eval-every": { type: "string" },
    "save-minutes": { type: "string" },
    keep: { type: "string" },
    "keep-every": { type: "string" },
    average: { type: "string" },
    "average-every": { type: "string" },
    f16: { type: "boolean", default: false },
    ship: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }).values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  // Every flag is checked before any work starts.
  if (v.preset !== undefined && !Object.hasOwn(PRESETS, v.preset)) {
    throw new UsageError(`Unknown preset "${v.preset}": use ${Object.keys(PRESETS).join(", ")}`);
  }
  if (v.schedule !== undefined && v.schedule !== "noam" && v.schedule !== "constant") {
    throw new UsageError(`--schedule must be noam or constant, got "${v.schedule}"`);
  }
  if (v.tokenizer !== undefined && v.tokenizer !== "bpe" && v.tokenizer !== "word") {
    throw new UsageError(`--tokenizer must be bpe or word, got "${v.tokenizer}"`);
  }
  if (v.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(v.sha256)) {
    throw new UsageError(`--sha256 must be 64 hexadecimal digits, got "${v.sha256}"`);
  }
  const int = (name: string, min = 1, max?: number) =>
    numberFlag(v, name, { min, max, integer: true });
  const flags = {
    epochs: int("epochs"),
    maxSteps: int("max-steps"),
    batchTokens: int("batch-tokens", 8),
    lr: numberFlag(v, "lr", { min: 0 }),
    warmup: int("warmup"),
    smoothing: numberFlag(v, "smoothing", { max: 1, belowMax: true }),
    clip: numberFlag(v, "clip"),
    dev: numberFlag(v, "dev", { max: 1, belowMax: true }),
    test: numberFlag(v, "test", { max: 1, belowMax: true }),
    casual: numberFlag(v, "casual", { max: 1 }),
    verbatim: numberFlag(v, "verbatim", { max: 1 }),
    textbookCopies: int("textbook-copies"),
    vocabSize: int("vocab-size", 260, 1_000_000),
    minCount: int("min-count"),
    evalEvery: int("eval-every"),
    saveMinutes: numberFlag(v, "save-minutes", { min: 0 }),
    keep: int("keep", 1, 100),
    keepEvery: int("keep-every", 1, 1e9),
    average: int("average", 1, 1000),
    averageEvery: int("average-every", 1, 1e9),
    seed: int("seed", 0, 2 ** 32 - 1),
  };
  const threads = threadsFlag(v, "train");
  const shape: Partial<TransformerConfig> = {};
  for (const [flag, key, bounds] of SHAPE_FLAGS) {
    const n = numberFlag(v, flag, bounds);
    if (n !== undefined) (shape as Record<string, number>)[key] = n;
  }
  if (flags.textbookCopies !== undefined && !v.textbook) {
    throw new UsageError("--textbook-copies needs --textbook");
  }
  if (flags.keepEvery !== undefined && flags.keep === undefined) {
    throw new UsageError("--keep-every needs --keep N (how many snapshots to keep)");
  }
  if (flags.averageEvery !== undefined && flags.average === undefined) {
    throw new UsageError("--average-every needs --average N (how many weights to average)");
  }
  if ((flags.dev ?? 0.02) + (flags.test ?? 0.02) >= 1) {
    throw new UsageError(
      `--dev ${flags.dev ?? 0.02} and --test ${
        flags.test ?? 0.02
      } leave no sentence pairs for training; ` +
        "hold out less (they are fractions of the data)",
    );
  }

  // Resuming: the run's settings come from the checkpoint; flags may not contradict them.
  let loaded: LoadedCheckpoint | undefined;
  let recorded: Partial<RunSettings> = {};
  if (v.resume) {
    loaded = loadCheckpoint(await modelBytesForCli(v.resume, "checkpoint"), { threads });
    if (!loaded.optimizer) {
      loaded.model.close();
      throw new VamosError(
        `${v.resume} has no optimizer state (a shipped model); resume from its .full.safetensors`,
      );
    }
    recorded = settingsFromMetadata(loaded.metadata, loaded.optimizer);
    const given: Record<string, unknown> = {
      preset: v.preset,
      tokenizer: v.tokenizer,
      "vocab-size": flags.vocabSize,
      "min-count": flags.minCount,
      casual: flags.casual,
      verbatim: flags.verbatim,
      textbook: v.textbook,
      "textbook-copies": flags.textbookCopies,
      dev: flags.dev,
      test: flags.test,
      seed: flags.seed,
      "batch-tokens": flags.batchTokens,
      smoothing: flags.smoothing,
      schedule: v.schedule,
      lr: flags.lr,
      warmup: flags.warmup,
      clip: flags.clip,
    };
    const differences: string[] = [];
    for (const [flag, value] of Object.entries(given)) {
      const was = recorded[SETTING_FLAGS[flag]];
      if (value !== undefined && was !== undefined && value !== was) {
        differences.push(`--${flag} ${value} (the checkpoint has ${was})`);
      }
    }
    const config = loaded.model.config;
    for (const [flag, key] of SHAPE_FLAGS) {
      if (shape[key] !== undefined && shape[key] !== config[key]) {
        differences.push(`--${flag} ${shape[key]} (the checkpoint has ${config[key]})`);
      }
    }
    if (differences.length) {
      loaded.model.close();
      throw new UsageError(
        `--resume ${v.resume} continues a run with other settings: ${differences.join("; ")}. ` +
          "Drop these flags to continue it, or train a new model without --resume",
      );
    }
  }
  // Fine-tuning: a new run (fresh optimizer) from a checkpoint's weights; its tokenizer,
  // shape and data split are the checkpoint's, so the held-out sentences stay held out.
  let init: LoadedCheckpoint | undefined;
  if (v.init) {
    if (v.resume) {
      throw new UsageError(
        "--init starts a new run from a checkpoint's weights, --resume continues one: give one",
      );
    }
    const clashing = ["preset", "tokenizer", "vocab-size", "min-count", "dev", "test", "seed"]
      .filter((f) => v[f as keyof typeof v] !== undefined)
      .concat(SHAPE_FLAGS.filter(([f]) => v[f as keyof typeof v] !== undefined).map(([f]) => f));
    if (clashing.length) {
      throw new UsageError(
        `--init ${v.init} fixes ${clashing.map((f) => `--${f}`).join(", ")}: drop them`,
      );
    }
    init = loadCheckpoint(await modelBytesForCli(v.init), { threads, int8: false });
    const m = init.metadata;
    const split = m.split ? JSON.parse(m.split) as { dev: number; test: number; seed: number } : {
      dev: 0,
      test: 0,
      seed: 0,
    };
    recorded = {
      preset: (m.preset as PresetName | undefined) ?? "small",
      tokenizer: init.model.codec.kind === "bpe" ? "bpe" : "word",
      vocab_size: init.model.srcVocab.size,
      dev: split.dev,
      test: split.test,
      seed: split.seed,
      ...(m.data_sha256 ? { data_sha256: m.data_sha256 } : {}),
    };
  }
  const { run, toy } = resolveRun({
    preset: v.preset as PresetName | undefined,
    tokenizer: v.tokenizer as "bpe" | "word" | undefined,
    vocabSize: flags.vocabSize,
    minCount: flags.minCount,
    casual: flags.casual,
    verbatim: flags.verbatim,
    textbook: v.textbook,
    textbookCopies: flags.textbookCopies,
    dev: flags.dev,
    test: flags.test,
    seed: flags.seed,
    batchTokens: flags.batchTokens,
    smoothing: flags.smoothing,
    schedule: v.schedule as "noam" | "constant" | undefined,
    lr: flags.lr,
    warmup: flags.warmup,
    clip: flags.clip,
    shape,
    hasData: v.data !== undefined,
    fromCheckpoint: loaded !== undefined || init !== undefined,
  }, recorded);
  const preset = run.preset;
  if (!loaded && !init && !toy) {
    try {
      configFromPreset(preset, { srcVocab: run.vocab_size, tgtVocab: run.vocab_size }, shape);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }

  // The outputs: checked (and stale temporaries of a killed run removed) before training.
  // Averaged final weights are for shipping: the last ones, with Adam's moments, go beside.
  const ship = v.ship || v.f16 || flags.average !== undefined;
  // Resuming a shipping run from its X.full.safetensors writes X.safetensors beside it
  // again (and the full checkpoint back to X.full.safetensors).
  const resumed = ship ? v.resume?.replace(/\.full\.safetensors$/, ".safetensors") : v.resume;
  const out = v.out ?? resumed ?? `${preset}.safetensors`;
  const full = out.replace(/(\.safetensors)?$/, ".full.safetensors");
  // The run resumed from (and, shipping, the weights beside it) may be replaced.
  const replacing = (path: string) =>
    v.force || [v.resume, resumed].some((r) => r !== undefined && sameFile(path, r));
  checkOutputPath(out, {
    flag: "--out",
    replace: replacing(out),
    hint: `pass --force to replace it, --resume ${
      ship ? full : out
    } to continue it, or another --out`,
  });
  if (ship) {
    checkOutputPath(full, {
      flag: "--out",
      replace: replacing(full),
      hint: "pass --force to replace it, or another --out",
    });
  }
  for (const stale of removeStaleTemporaries([out, full, `${out}.loss.svg`])) {
    console.error(`Removed ${stale}, left by a run that was killed while writing.`);
  }

  // Data: the textbook's two pairs, or a TSV file (checksum checked first).
  let pairs: SentencePair[];
  if (toy) pairs = [...STATQUEST_PAIRS];
  else {
    if (!v.data) {
      throw new UsageError(
        loaded
          ? `--resume ${v.resume} needs the data it was trained on: add --data FILE`
          : "--data FILE is required for this preset",
      );
    }
    const bytes = await readFileForCli(v.data, "data file");
    const sha = await sha256Hex(bytes);
    const want = v.sha256?.toLowerCase() ??
      (loaded || init ? run.data_sha256 || undefined : undefined);
    if (want && want !== sha) {
      throw new VamosError(
        (loaded || init) && !v.sha256
          ? `${v.data} (sha256 ${sha}) is not the data ${
            v.resume ?? v.init
          } was trained on (${want})`
          : `${v.data} has sha256 ${sha}, expected ${want}: not the documented data file`,
      );
    }
    run.data_sha256 = sha;
    pairs = parseTsv(readUtf8Text(bytes, v.data), v.data);
  }
  const split = toy
    ? { train: pairs, dev: [] as SentencePair[], test: [] as SentencePair[] }
    : splitBySource(pairs, { dev: run.dev, test: run.test, seed: run.seed });
  if (split.train.length === 0) {
    throw new VamosError(
      `${v.data} has ${pairs.length} pairs, and --dev ${run.dev} and --test ${run.test} hold them all out; ` +
        "give more data or hold out less",
    );
  }
  let trainPairs = split.train;
  if (run.verbatim) trainPairs = addVerbatimSpans(trainPairs, run.verbatim, run.seed + 2);
  if (run.casual) trainPairs = addCasualVariants(trainPairs, run.casual, run.seed + 1);
  if (run.textbook) trainPairs = [...trainPairs, ...textbookPairs(run.textbook_copies)];

  let model: Transformer;
  if (loaded) {
    model = loaded.model;
    console.error(`Resuming ${v.resume} at step ${loaded.optimizer!.step}.`);
  } else if (init) {
    model = init.model;
    console.error(`Fine-tuning the weights of ${v.init} with a fresh optimizer.`);
  } else if (toy) {
    model = createStatquestModel({ seed: run.seed });
  } else if (run.tokenizer === "bpe") {
    const t0 = performance.now();
    model = createSubwordModel(preset, split.train.flatMap((p) => [p.source, p.target]), {
      vocabSize: run.vocab_size,
      seed: run.seed,
      threads,
      overrides: shape,
    });
    console.error(
      `Learned ${(model.codec as BpeCodec).merges.length} BPE merges in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s.`,
    );
  } else {
    const srcVocab = Vocabulary.fromCorpus(split.train.map((p) => tokenizeWords(p.source)), {
      minCount: run.min_count,
      unk: true,
    });
    const tgtVocab = Vocabulary.fromCorpus(split.train.map((p) => tokenizeWords(p.target)), {
      minCount: run.min_count,
      unk: true,
      sos: true,
    });
    model = createModel(preset, { srcVocab, tgtVocab, seed: run.seed, threads, overrides: shape });
  }
  // A model trained with placeholders carries spans through (saved in its metadata).
  if (run.verbatim) {
    model.verbatim = true;
    model.verbatimKnown = new Set(knownWords(split.train.map((p) => p.source)));
  }
  const { examples, skipped } = toExamples(model, trainPairs);
  if (examples.length === 0) {
    model.close();
    throw new VamosError(
      `None of the ${trainPairs.length} training pairs fits this model (longest ${
        model.config.maxLen - 1
      } tokens); give shorter sentences`,
    );
  }
  const devExamples = toExamples(model, split.dev).examples.slice(0, 2000);
  console.error(
    `Training ${preset}: ${model.parameterCount.toLocaleString("en-US")} parameters, ` +
      `${examples.length} training pairs${skipped ? ` (${skipped} too long, skipped)` : ""}, ` +
      `${split.dev.length} dev and ${split.test.length} test pairs held out; vocabularies ` +
      `${model.srcVocab.size}/${model.tgtVocab.size}; ${model.threads} thread${
        model.threads > 1 ? "s" : ""
      }.`,
  );

  const metadata: Record<string, string> = {
    preset,
    seed: String(run.seed),
    ...(run.data_sha256 ? { data_sha256: run.data_sha256 } : {}),
    split: JSON.stringify({ dev: run.dev, test: run.test, seed: run.seed }),
    casual: String(run.casual),
    textbook: String(run.textbook),
    ...(run.textbook ? { textbook_copies: String(run.textbook_copies) } : {}),
    train_options: JSON.stringify(run),
    ...(v.init
      ? { init_from: `${v.init}${init!.metadata.steps ? ` (${init!.metadata.steps} steps)` : ""}` }
      : {}),
  };
  const curve: CurvePoint[] = [];
  let lossSum = 0, lossCount = 0;
  const adam = loaded?.optimizer ?? new Adam(model.core.params, model.config.dModel, {
    schedule: run.schedule,
    lr: run.lr,
    warmup: run.warmup,
    clipNorm: run.clip,
  });
  const trainedSeconds = Number(loaded?.metadata.training_seconds ?? 0);
  // The newest checkpoint written by this run (or the one it resumed from).
  let lastSaved: { path: string; step: number } | undefined = loaded
    ? { path: v.resume!, step: adam.step }
    : undefined;
  const checkpointBytes = (final: boolean) => {
    metadata.training_seconds = String(
      Math.round(trainedSeconds + (performance.now() - t0) / 1000),
    );
    metadata.steps = String(adam.step);
    // A final shipping checkpoint leaves the optimizer state out; the full checkpoint
    // (32-bit weights and Adam's moments) goes beside it, for checks and for resuming.
    const shipping = final && ship;
    return {
      main: saveModel(model, {
        optimizer: shipping ? undefined : adam,
        metadata,
        dtype: shipping && v.f16 ? "F16" : "F32",
      }),
      full: shipping ? saveModel(model, { optimizer: adam, metadata }) : undefined,
    };
  };
  const writeCurve = () => {
    if (curve.length) {
      writeAtomic(`${out}.loss.svg`, lossCurveSvg(curve, `${preset}: loss by step`));
    }
  };
  // With --keep N: the weights of each save as <out>.step<STEP>.safetensors, newest N kept.
  const snapshotPrefix = `${out.replace(/\.safetensors$/, "")}.step`;
  const snapshots: string[] = [];
  const keepSnapshot = () => {
    if (!flags.keep) return;
    const path = `${snapshotPrefix}${adam.step}.safetensors`;
    writeAtomic(path, saveModel(model, { metadata }));
    if (snapshots.at(-1) !== path) snapshots.push(path);
    while (snapshots.length > flags.keep) {
      try {
        Deno.removeSync(snapshots.shift()!);
      } catch {
        // already gone
      }
    }
  };
  // A periodic save that fails is reported and tried again later: training goes on.
  const savePeriodic = () => {
    try {
      writeAtomic(out, checkpointBytes(false).main);
      lastSaved = { path: out, step: adam.step };
      if (!flags.keepEvery) keepSnapshot();
      writeCurve();
    } catch (e) {
      print(`train: ${(e as Error).message}; training goes on, the next save tries again.`, true);
    }
  };

  // With --average N: the sum (f64, oldest first, as average.ts adds) of the weights after
  // the steps that are multiples of --average-every among the last N·(--average-every):
  // the same steps --keep-every snapshots.
  const averageEvery = flags.averageEvery ?? 100;
  const averaged = new WeightAverage();
  const addToAverage = (step: number, totalSteps: number) => {
    if (
      !flags.average || step % averageEvery !== 0 ||
      step <= totalSteps - flags.average * averageEvery
    ) return;
    averaged.add(model.core.params.values.view(), step);
  };

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch {
    // no signals here (Windows without a console): Ctrl-C then just ends the process
  }
  const evalEvery = flags.evalEvery ?? 500;
  const saveMs = (flags.saveMinutes ?? 5) * 60_000;
  let lastSave = performance.now();
  const t0 = performance.now();
  const progress = new Progress();
  const print = (line: string, keep = false) => progress.print(line, keep);
  try {
    await trainAsync(model, examples, {
      optimizer: adam,
      epochs: flags.epochs ?? (toy ? 100 : 10),
      maxSteps: flags.maxSteps,
      batchTokens: run.batch_tokens,
      smoothing: run.smoothing,
      seed: run.seed,
      onStep: (s) => {
        addToAverage(s.step, s.totalSteps);
        lossSum += s.loss;
        lossCount++;
        progress.step(s);
        if (devExamples.length && (s.step % evalEvery === 0 || s.step === s.totalSteps)) {
          const val = evaluateLoss(model, devExamples, run.smoothing || 0.1);
          const bleu = devBleu(model, split.dev, 300);
          curve.push({ step: s.step, train: lossSum / lossCount, validation: val });
          lossSum = 0;
          lossCount = 0;
          print(
            `step ${s.step}: validation loss ${val.toFixed(3)}, dev BLEU ${bleu.toFixed(1)}`,
            true,
          );
        }
        if (flags.keepEvery && s.step % flags.keepEvery === 0 && s.step < s.totalSteps) {
          try {
            keepSnapshot();
          } catch (e) {
            print(`train: ${(e as Error).message}; training goes on.`, true);
          }
        }
        if (performance.now() - lastSave > saveMs && s.step < s.totalSteps) {
          savePeriodic();
          lastSave = performance.now();
        }
        return !interrupted;
      },
    });
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      progress.endLine();
      model.close();
      console.error(
        `train: ${e.message} ` +
          (lastSaved
            ? `The last good checkpoint is ${lastSaved.path} (step ${lastSaved.step}); nothing newer was written.`
            : "No checkpoint was written."),
      );
      return 1;
    }
    throw e;
  }
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
  } catch {
    // never added
  }
  progress.endLine();
  // The final save: if the path has gone bad during training, the weights still land
  // somewhere, and the message says where.
  const problems: string[] = [];
  let bytes = checkpointBytes(true);
  try {
    keepSnapshot(); // the last weights, before any averaging
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (averaged.count && !interrupted) {
    // The full checkpoint keeps the last weights (to resume from); the output is the mean.
    const n = averaged.count;
    model.core.params.values.set(averaged.mean());
    Object.assign(metadata, averaged.metadata()); // as average.ts writes it
    bytes = { main: checkpointBytes(true).main, full: bytes.full };
    const note = n < flags.average!
      ? ` (${n} of the ${flags.average} asked for: the run was resumed inside the window)`
      : "";
    const bleu = split.dev.length ? `; dev BLEU ${devBleu(model, split.dev, 300).toFixed(1)}` : "";
    console.error(`Averaged the weights of steps ${averaged.steps.join(", ")}${note}${bleu}.`);
  }
  const saved = writeOrRescue(out, bytes.main);
  if (saved.problem) problems.push(`${saved.problem}; saved to ${saved.path} instead`);
  if (bytes.full) {
    const savedFull = writeOrRescue(full, bytes.full);
    if (savedFull.problem) {
      problems.push(`${savedFull.problem}; saved to ${savedFull.path} instead`);
    }
  }
  try {
    writeCurve();
  } catch (e) {
    problems.push((e as Error).message);
  }
  model.close();
  if (problems.length) {
    for (const p of problems) console.error(`train: ${p}`);
    return 1;
  }
  console.error(
    interrupted
      ? `Interrupted: saved ${out} at step ${adam.step}; continue with --resume ${
        bytes.full ? full : out
      }.`
      : `Wrote ${out} (${formatDuration((performance.now() - t0) / 1000)}).`,
  );
  if (toy) {
    const copy = await loadModel(bytes.main, { threads: 1 });
    for (const p of STATQUEST_PAIRS) console.log(`${p.source} -> ${copy.translate(p.source)}`);
  }
  return 0;
}

// True when two paths name the same existing file.
function sameFile(a: string, b: string): boolean {
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return false;
  }
}

if (import.meta.main) await runCli("train", main);
