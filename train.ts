/**
 * Trains a Transformer from the command line and writes a safetensors checkpoint.
 *
 *   deno run -A train.ts --preset statquest                 the textbook toy
 *   deno run -A train.ts --data pairs.tsv --preset small    a real model
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { parseArgs } from "node:util";
import { createModel, type Transformer } from "./src/model/model.ts";
import type { PresetName } from "./src/model/config.ts";
import { STATQUEST_ENGLISH, STATQUEST_PAIRS, STATQUEST_SPANISH } from "./src/model/statquest.ts";
import { Vocabulary } from "./src/text/vocabulary.ts";
import { tokenizeWords } from "./src/text/word_tokenizer.ts";
import { evaluateLoss, type SentencePair, toExamples, train } from "./src/train/train.ts";
import { loadCheckpoint, saveModel } from "./src/train/checkpoint.ts";
import type { Adam } from "./src/train/optimizer.ts";
import { parseTsv, splitBySource } from "./src/train/data.ts";
import { VamosError } from "./src/errors.ts";

const HELP = `Usage: deno run -A train.ts [options]

Trains a Transformer and writes a safetensors checkpoint that translate.ts --model reads.

Options:
  --preset NAME        statquest | small | base (default: small; statquest without --data
                       trains the textbook toy on its two sentence pairs)
  --data FILE          tab-separated english<TAB>spanish lines (extra columns ignored)
  --out FILE           checkpoint to write (default: <preset>.safetensors)
  --resume FILE        continue from a checkpoint written by this command
  --epochs N           passes over the training data (default: 10; statquest: 100)
  --max-steps N        stop after N optimizer steps
  --batch-tokens N     tokens per batch, padding included (default 2000)
  --lr X               learning rate (constant) or warm-up factor (noam; default 1)
  --schedule S         noam | constant (default noam; statquest: constant 0.1)
  --warmup N           warm-up steps (default 4000)
  --smoothing X        label smoothing (default 0.1; statquest: 0)
  --dev X              fraction of source sentences held out for validation (default 0.02)
  --min-count N        words seen fewer times become <unk> (default 2)
  --seed N             seed of the split, the weights, batches and dropout (default 0)
  --threads N          threads for the kernels (default: every core; results do not depend on it)
  -h, --help           this help`;

class UsageError extends Error {}

function num(values: Record<string, unknown>, name: string, integer: boolean): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0) {
    throw new UsageError(
      `--${name} must be a ${integer ? "non-negative integer" : "non-negative number"}, got "${v}"`,
    );
  }
  return n;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  return m ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        preset: { type: "string", default: "small" },
        data: { type: "string" },
        out: { type: "string" },
        resume: { type: "string" },
        epochs: { type: "string" },
        "max-steps": { type: "string" },
        "batch-tokens": { type: "string" },
        lr: { type: "string" },
        schedule: { type: "string" },
        warmup: { type: "string" },
        smoothing: { type: "string" },
        dev: { type: "string" },
        "min-count": { type: "string" },
        seed: { type: "string" },
        threads: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}. Run with --help for usage.`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const preset = v.preset as PresetName;
  if (!["statquest", "small", "base"].includes(preset)) {
    throw new UsageError(`Unknown preset "${preset}": use statquest, small or base`);
  }
  if (v.schedule !== undefined && v.schedule !== "noam" && v.schedule !== "constant") {
    throw new UsageError(`--schedule must be noam or constant, got "${v.schedule}"`);
  }
  // Every numeric flag is checked before any work starts.
  const flags = {
    epochs: num(v, "epochs", true),
    maxSteps: num(v, "max-steps", true),
    batchTokens: num(v, "batch-tokens", true),
    lr: num(v, "lr", false),
    warmup: num(v, "warmup", true),
    smoothing: num(v, "smoothing", false),
    dev: num(v, "dev", false),
    minCount: num(v, "min-count", true),
    threads: num(v, "threads", true),
  };
  if (flags.threads === 0) throw new UsageError("--threads must be at least 1");
  const toy = preset === "statquest" && !v.data;
  const seed = num(v, "seed", true) ?? 0;
  const out = v.out ?? `${preset}.safetensors`;

  let pairs: SentencePair[];
  if (toy) pairs = [...STATQUEST_PAIRS];
  else {
    if (!v.data) throw new UsageError("--data FILE is required for this preset");
    let text: string;
    try {
      text = await Deno.readTextFile(v.data);
    } catch (e) {
      throw new VamosError(`Cannot read ${v.data}: ${(e as Error).message}`);
    }
    pairs = parseTsv(text, v.data);
  }
  const split = toy
    ? { train: pairs, dev: [] as SentencePair[], test: [] }
    : splitBySource(pairs, { dev: flags.dev ?? 0.02, test: 0, seed });

  let model: Transformer;
  let optimizer: Adam | undefined;
  if (v.resume) {
    const loaded = loadCheckpoint(await Deno.readFile(v.resume), { threads: flags.threads });
    model = loaded.model;
    optimizer = loaded.optimizer;
    console.error(`Resuming from ${v.resume} at step ${optimizer?.step ?? 0}.`);
  } else if (toy) {
    model = createModel("statquest", {
      srcVocab: new Vocabulary(STATQUEST_ENGLISH),
      tgtVocab: new Vocabulary(STATQUEST_SPANISH),
      seed,
      threads: 1,
    });
  } else {
    const minCount = flags.minCount ?? 2;
    const tokenize = (s: string) => tokenizeWords(s);
    const srcVocab = Vocabulary.fromCorpus(split.train.map((p) => tokenize(p.source)), {
      minCount,
      unk: true,
    });
    const tgtVocab = Vocabulary.fromCorpus(split.train.map((p) => tokenize(p.target)), {
      minCount,
      unk: true,
      sos: true,
    });
    model = createModel(preset, { srcVocab, tgtVocab, seed, threads: flags.threads });
  }
  const { examples, skipped } = toExamples(model, split.train);
  const dev = toExamples(model, split.dev).examples;
  console.error(
    `Training ${preset}: ${model.parameterCount.toLocaleString("en-US")} parameters, ` +
      `${examples.length} training pairs${
        skipped ? ` (${skipped} too long, skipped)` : ""
      }, ${dev.length} held out; ` +
      `vocabularies ${model.srcVocab.size}/${model.tgtVocab.size}.`,
  );
  const interactive = Deno.stderr.isTerminal();
  let last = 0;
  optimizer = train(model, examples, {
    optimizer,
    epochs: flags.epochs ?? (toy ? 100 : 10),
    maxSteps: flags.maxSteps,
    batchTokens: flags.batchTokens ?? 2000,
    lr: flags.lr ?? (toy ? 0.1 : 1),
    schedule: (v.schedule as "noam" | "constant" | undefined) ?? (toy ? "constant" : "noam"),
    warmup: flags.warmup ?? 4000,
    smoothing: flags.smoothing ?? (toy ? 0 : 0.1),
    seed,
    onStep: (s) => {
      const now = performance.now();
      if (now - last < 500 && s.step < s.totalSteps) return;
      last = now;
      const left = (s.totalSteps - s.step) * (s.elapsed / s.step);
      const line =
        `epoch ${s.epoch + 1} step ${s.step}/${s.totalSteps} loss ${s.loss.toFixed(4)} ` +
        `${Math.round(s.tokensPerSecond)} tok/s ${fmtTime(s.elapsed)} elapsed, ${
          fmtTime(left)
        } left`;
      if (interactive) Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K`));
      else console.error(line);
    },
  });
  if (interactive) console.error();
  if (dev.length) {
    console.error(`Validation loss: ${evaluateLoss(model, dev).toFixed(4)} (${dev.length} pairs)`);
  }
  await writeAtomic(out, saveModel(model, { optimizer }));
  console.error(`Wrote ${out}.`);
  if (toy) {
    for (const p of STATQUEST_PAIRS) console.log(`${p.source} -> ${model.translate(p.source)}`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`train: ${e.message}`);
      Deno.exitCode = 2;
    } else if (e instanceof VamosError) {
      console.error(`train: ${e.message}`);
      Deno.exitCode = 1;
    } else {
      throw e;
    }
  }
}
