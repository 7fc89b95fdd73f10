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
import { parseArgs } from "node:util";
import {
  numberFlag as num,
  parseFlags,
  readFileForCli,
  runCli,
  UsageError,
} from "./src/cli/run.ts";
import { createModel, type Transformer } from "./src/model/model.ts";
import { type PresetName, PRESETS, type TransformerConfig } from "./src/model/config.ts";
import { STATQUEST_ENGLISH, STATQUEST_PAIRS, STATQUEST_SPANISH } from "./src/model/statquest.ts";
import { Vocabulary } from "./src/text/vocabulary.ts";
import { tokenizeWords } from "./src/text/word_tokenizer.ts";
import { BpeCodec } from "./src/text/bpe.ts";
import {
  evaluateLoss,
  type SentencePair,
  toExamples,
  trainAsync,
  TrainingDivergedError,
} from "./src/train/train.ts";
import { loadCheckpoint, saveModel } from "./src/checkpoint/checkpoint.ts";
import { Adam } from "./src/train/optimizer.ts";
import {
  addCasualVariants,
  groupBySource,
  parseTsv,
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
  --textbook           add the textbook's pairs (let's go → Vamos., to go → Ir.), as typed
                       and as written (Let's go. → Vamos.)
  --textbook-copies N  add them N times, so two pairs weigh something among 100,000 (default 1)
  --dev X, --test X    fractions of source sentences held out (default 0.02 and 0)
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
  --out FILE           checkpoint to write (default: <preset>.safetensors)
  --resume FILE        continue an interrupted run (same data and options)
  --eval-every N       validation loss and dev BLEU every N steps (default 500)
  --save-minutes M     write a checkpoint every M minutes (default 5)
  --ship               write the final weights without the optimizer state (for shipping);
                       the full checkpoint, for checks and resuming, goes to <out>.full.safetensors
  --f16                like --ship, and store the final weights as 16-bit floats
  -h, --help           this help`;

// Write to a temporary file, then rename: a reader never sees half a checkpoint.
function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  if (typeof bytes === "string") Deno.writeTextFileSync(tmp, bytes);
  else Deno.writeFileSync(tmp, bytes);
  Deno.renameSync(tmp, path);
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.round(s % 60);
  return h
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m
    ? `${m}m${String(r).padStart(2, "0")}s`
    : `${r}s`;
}

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
  const parsed = parseFlags(() =>
    parseArgs({
      args,
      options: {
        preset: { type: "string", default: "small" },
        data: { type: "string" },
        sha256: { type: "string" },
        tokenizer: { type: "string" },
        "vocab-size": { type: "string" },
        "min-count": { type: "string" },
        casual: { type: "string" },
        textbook: { type: "boolean", default: false },
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
        "eval-every": { type: "string" },
        "save-minutes": { type: "string" },
        f16: { type: "boolean", default: false },
        ship: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    })
  );
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const preset = v.preset as PresetName;
  if (!(preset in PRESETS)) {
    throw new UsageError(`Unknown preset "${preset}": use ${Object.keys(PRESETS).join(", ")}`);
  }
  if (v.schedule !== undefined && v.schedule !== "noam" && v.schedule !== "constant") {
    throw new UsageError(`--schedule must be noam or constant, got "${v.schedule}"`);
  }
  if (v.tokenizer !== undefined && v.tokenizer !== "bpe" && v.tokenizer !== "word") {
    throw new UsageError(`--tokenizer must be bpe or word, got "${v.tokenizer}"`);
  }
  // Every numeric flag is checked before any work starts.
  const flags = {
    epochs: num(v, "epochs", true),
    maxSteps: num(v, "max-steps", true),
    batchTokens: num(v, "batch-tokens", true),
    lr: num(v, "lr", false),
    warmup: num(v, "warmup", true),
    smoothing: num(v, "smoothing", false),
    clip: num(v, "clip", false),
    dev: num(v, "dev", false),
    test: num(v, "test", false),
    casual: num(v, "casual", false),
    textbookCopies: num(v, "textbook-copies", true),
    vocabSize: num(v, "vocab-size", true),
    minCount: num(v, "min-count", true),
    threads: num(v, "threads", true),
    evalEvery: num(v, "eval-every", true),
    saveMinutes: num(v, "save-minutes", false),
    seed: num(v, "seed", true),
  };
  // The preset's shape, with what the flags change (validated with the whole config).
  const shape: Partial<TransformerConfig> = {};
  for (
    const [flag, key, integer] of [
      ["d-model", "dModel", true],
      ["heads", "heads", true],
      ["encoder-layers", "encoderLayers", true],
      ["decoder-layers", "decoderLayers", true],
      ["d-ff", "dFF", true],
      ["dropout", "dropout", false],
    ] as const
  ) {
    const n = num(v, flag, integer);
    if (n !== undefined) (shape as Record<string, number>)[key] = n;
  }
  if (flags.threads === 0) throw new UsageError("--threads must be at least 1");
  if (flags.textbookCopies !== undefined && !v.textbook) {
    throw new UsageError("--textbook-copies needs --textbook");
  }
  const toy = preset === "statquest" && !v.data;
  const seed = flags.seed ?? 0;
  const out = v.out ?? `${preset}.safetensors`;

  // Data: the textbook's two pairs, or a TSV file (checksum checked first).
  let pairs: SentencePair[];
  let dataSha = "";
  if (toy) pairs = [...STATQUEST_PAIRS];
  else {
    if (!v.data) throw new UsageError("--data FILE is required for this preset");
    const bytes = await readFileForCli(v.data, "data file");
    dataSha = await sha256Hex(bytes);
    if (v.sha256 && v.sha256.toLowerCase() !== dataSha) {
      throw new VamosError(
        `${v.data} has sha256 ${dataSha}, expected ${v.sha256}: not the documented data file`,
      );
    }
    pairs = parseTsv(new TextDecoder().decode(bytes), v.data);
  }
  const split = toy
    ? { train: pairs, dev: [] as SentencePair[], test: [] as SentencePair[] }
    : splitBySource(pairs, { dev: flags.dev ?? 0.02, test: flags.test ?? 0, seed });
  let trainPairs = split.train;
  if (flags.casual) trainPairs = addCasualVariants(trainPairs, flags.casual, seed + 1);
  if (v.textbook) {
    trainPairs = [...trainPairs, ...textbookPairs(flags.textbookCopies ?? 1)];
  }

  let model: Transformer;
  let optimizer: Adam | undefined;
  let loadedSeconds = 0;
  if (v.resume) {
    const loaded = loadCheckpoint(await readFileForCli(v.resume, "checkpoint"), {
      threads: flags.threads,
    });
    model = loaded.model;
    optimizer = loaded.optimizer;
    loadedSeconds = Number(loaded.metadata.training_seconds ?? 0);
    console.error(`Resuming from ${v.resume} at step ${optimizer?.step ?? 0}.`);
  } else if (toy) {
    model = createModel("statquest", {
      srcVocab: new Vocabulary(STATQUEST_ENGLISH),
      tgtVocab: new Vocabulary(STATQUEST_SPANISH),
      seed,
      threads: 1,
    });
  } else if ((v.tokenizer ?? "bpe") === "bpe") {
    const t0 = performance.now();
    const bpe = BpeCodec.train(split.train.flatMap((p) => [p.source, p.target]), {
      vocabSize: flags.vocabSize ?? 8000,
    });
    console.error(
      `Learned ${bpe.merges.length} BPE merges in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s.`,
    );
    model = createModel(preset, {
      srcVocab: bpe.vocabulary,
      tgtVocab: bpe.vocabulary,
      codec: bpe,
      seed,
      threads: flags.threads,
      overrides: { ...shape, shareEmbeddings: true, tieOutput: true, startToken: "sos" },
    });
  } else {
    const minCount = flags.minCount ?? 2;
    const srcVocab = Vocabulary.fromCorpus(split.train.map((p) => tokenizeWords(p.source)), {
      minCount,
      unk: true,
    });
    const tgtVocab = Vocabulary.fromCorpus(split.train.map((p) => tokenizeWords(p.target)), {
      minCount,
      unk: true,
      sos: true,
    });
    model = createModel(preset, {
      srcVocab,
      tgtVocab,
      seed,
      threads: flags.threads,
      overrides: shape,
    });
  }
  const { examples, skipped } = toExamples(model, trainPairs);
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
    seed: String(seed),
    ...(dataSha ? { data_sha256: dataSha } : {}),
    split: JSON.stringify({ dev: flags.dev ?? 0.02, test: flags.test ?? 0, seed }),
    casual: String(flags.casual ?? 0),
    textbook: String(v.textbook),
    ...(v.textbook ? { textbook_copies: String(flags.textbookCopies ?? 1) } : {}),
  };
  const curve: CurvePoint[] = [];
  let lossSum = 0, lossCount = 0;
  const schedule = (v.schedule as "noam" | "constant" | undefined) ?? (toy ? "constant" : "noam");
  const adam = optimizer ?? new Adam(model.core.params, model.config.dModel, {
    schedule,
    lr: flags.lr ?? (toy ? 0.1 : 1),
    warmup: flags.warmup ?? 4000,
    clipNorm: flags.clip,
  });
  const save = (final: boolean) => {
    metadata.training_seconds = String(
      Math.round(trainedSeconds + (performance.now() - t0) / 1000),
    );
    metadata.steps = String(adam.step);
    // A final shipping checkpoint leaves the optimizer state out; the full checkpoint
    // (32-bit weights and Adam's moments) goes beside it, for checks and for resuming.
    const ship = final && (v.ship || v.f16);
    if (ship) {
      writeAtomic(
        out.replace(/(\.safetensors)?$/, ".full.safetensors"),
        saveModel(model, { optimizer: adam, metadata }),
      );
    }
    writeAtomic(
      out,
      saveModel(model, {
        optimizer: ship ? undefined : adam,
        metadata,
        dtype: ship && v.f16 ? "F16" : "F32",
      }),
    );
    if (curve.length) {
      writeAtomic(`${out}.loss.svg`, lossCurveSvg(curve, `${preset}: loss by step`));
    }
  };
  const trainedSeconds = Number(v.resume ? loadedSeconds : 0);

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch {
    // no signals here (Windows without a console): Ctrl-C then just ends the process
  }
  const interactive = Deno.stderr.isTerminal();
  const evalEvery = flags.evalEvery ?? 500;
  const saveMs = (flags.saveMinutes ?? 5) * 60_000;
  let lastPrint = 0, lastSave = performance.now(), firstStep = -1;
  const t0 = performance.now();
  const print = (line: string, keep = false) => {
    if (interactive) {
      Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K${keep ? "\n" : ""}`));
    } else console.error(line);
  };
  try {
    await trainAsync(model, examples, {
      optimizer: adam,
      epochs: flags.epochs ?? (toy ? 100 : 10),
      maxSteps: flags.maxSteps,
      batchTokens: flags.batchTokens ?? 2000,
      smoothing: flags.smoothing ?? (toy ? 0 : 0.1),
      seed,
      onStep: (s) => {
        if (firstStep < 0) firstStep = s.step - 1;
        lossSum += s.loss;
        lossCount++;
        const now = performance.now();
        const left = (s.totalSteps - s.step) * (s.elapsed / (s.step - firstStep));
        if (now - lastPrint > 500 || s.step === s.totalSteps) {
          lastPrint = now;
          const bar = "#".repeat(Math.round((20 * s.step) / s.totalSteps)).padEnd(20, ".");
          print(
            `[${bar}] epoch ${s.epoch + 1} step ${s.step}/${s.totalSteps} loss ${
              s.loss.toFixed(3)
            } ` +
              `${Math.round(s.tokensPerSecond)} tok/s, ${fmtTime(s.elapsed)} elapsed, ${
                fmtTime(left)
              } left`,
          );
        }
        if (devExamples.length && (s.step % evalEvery === 0 || s.step === s.totalSteps)) {
          const val = evaluateLoss(model, devExamples, flags.smoothing ?? 0.1);
          const bleu = devBleu(model, split.dev, 300);
          curve.push({ step: s.step, train: lossSum / lossCount, validation: val });
          lossSum = 0;
          lossCount = 0;
          print(
            `step ${s.step}: validation loss ${val.toFixed(3)}, dev BLEU ${bleu.toFixed(1)}`,
            true,
          );
        }
        if (now - lastSave > saveMs && s.step < s.totalSteps) {
          save(false);
          lastSave = performance.now();
        }
        return !interrupted;
      },
    });
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      if (interactive) console.error();
      console.error(`train: ${e.message} The last checkpoint (${out}) is untouched.`);
      return 1;
    }
    throw e;
  }
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
  } catch {
    // never added
  }
  if (interactive) console.error();
  save(true);
  console.error(
    interrupted
      ? `Interrupted: saved ${out} at step ${adam.step}; continue with --resume ${out}.`
      : `Wrote ${out} (${fmtTime((performance.now() - t0) / 1000)}).`,
  );
  if (toy) {
    for (const p of STATQUEST_PAIRS) console.log(`${p.source} -> ${model.translate(p.source)}`);
  }
  model.close();
  return 0;
}

if (import.meta.main) await runCli("train", main);
