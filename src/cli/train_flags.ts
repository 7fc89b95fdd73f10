/**
 * train.ts's command line: its help, its flags, and the checks every flag passes before
 * any work starts.
 * @module
 */
import type { TransformerConfig } from "../model/config.ts";
import { PRESETS } from "../model/config.ts";
import { UsageError } from "./run.ts";
import { numberFlag, parseFlags, threadsFlag } from "./flags.ts";
import { type RunFlags, SHAPE_FLAGS } from "./train_settings.ts";
import { type Direction, DIRECTIONS } from "../text/languages.ts";

export const TRAIN_HELP = `Usage: deno run -A train.ts [options]

Trains a Transformer and writes a safetensors checkpoint that translate.ts --model reads.

Model and data:
  --preset NAME        statquest | small | base | translator (default: small; statquest
                       without --data trains the StatQuest model on its two sentence pairs)
  --data FILE          tab-separated english<TAB>spanish lines (extra columns ignored)
  --direction D        en-es (English to Spanish, default) | es-en (Spanish to English:
                       the same file, read the other way; the split is by Spanish source)
  --sha256 HEX         refuse to train unless the data file has this checksum
  --tokenizer KIND     bpe (subwords shared by both languages, default) | word
  --vocab-size N       BPE vocabulary size (default 8000)
  --min-count N        word tokenizer: words seen fewer times become <unk> (default 2)
  --casual X           also train on a lowercase, unpunctuated copy of this fraction of
                       the pairs, so text typed casually translates well (default 0)
  --verbatim X         in this fraction of the pairs, swap what both sides share verbatim
                       (names, numbers, symbols) for placeholders, or add one, so the model
                       learns to carry URLs, numbers, emoji and names through (default 0)
  --statquest-pairs    add the StatQuest pairs (let's go → Vamos., to go → Ir.), as typed
                       and as written (Let's go. → Vamos.)
  --statquest-copies N add them N times, so two pairs weigh something among 100,000 (default 1)
  --dev X, --test X    fractions of source sentences held out (default 0.02 each)
  --seed N             seed of the split, the weights, batches and dropout (default 0)
  --hold-out-reverse   also leave out every pair sharing a sentence with the other direction's
                       dev and test splits, so this model can rerank that direction's held-out
                       translations (noisy channel) without having seen them
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

const FLAGS = {
  preset: { type: "string" },
  direction: { type: "string" },
  data: { type: "string" },
  sha256: { type: "string" },
  tokenizer: { type: "string" },
  "vocab-size": { type: "string" },
  "min-count": { type: "string" },
  casual: { type: "string" },
  verbatim: { type: "string" },
  "statquest-pairs": { type: "boolean" },
  "statquest-copies": { type: "string" },
  dev: { type: "string" },
  test: { type: "string" },
  seed: { type: "string" },
  "hold-out-reverse": { type: "boolean" },
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
} as const;

/** train.ts's flags, checked: the run's own, and how long, where and how it is saved. */
export interface TrainFlags {
  /** The flags that define the run (settled against a checkpoint by `resolveRun`). */
  run: Omit<RunFlags, "hasData" | "fromCheckpoint">;
  data?: string;
  sha256?: string;
  resume?: string;
  init?: string;
  threads?: number;
  out?: string;
  force: boolean;
  evalEvery?: number;
  saveMinutes?: number;
  keep?: number;
  keepEvery?: number;
  ship: boolean;
  f16: boolean;
}

/** Parses and checks train.ts's flags; "help" for -h/--help. Throws UsageError. */
export function readTrainFlags(args: string[]): TrainFlags | "help" {
  const v = parseFlags(args.map(currentName), FLAGS).values;
  if (v.help) return "help";
  checkChoices(v);
  const int = (name: string, min = 1, max?: number) =>
    numberFlag(v, name, { min, max, integer: true });
  const fraction = (name: string) => numberFlag(v, name, { max: 1, belowMax: true });
  const shape: Partial<TransformerConfig> = {};
  for (const [flag, key, bounds] of SHAPE_FLAGS) {
    const n = numberFlag(v, flag, bounds);
    if (n !== undefined) (shape as Record<string, number>)[key] = n;
  }
  const run: TrainFlags["run"] = {
    preset: v.preset as RunFlags["preset"],
    direction: v.direction as Direction | undefined,
    tokenizer: v.tokenizer as RunFlags["tokenizer"],
    vocab_size: int("vocab-size", 260, 1_000_000),
    min_count: int("min-count"),
    casual: numberFlag(v, "casual", { max: 1 }),
    verbatim: numberFlag(v, "verbatim", { max: 1 }),
    textbook: v["statquest-pairs"],
    textbook_copies: int("statquest-copies"),
    dev: fraction("dev"),
    test: fraction("test"),
    seed: int("seed", 0, 2 ** 32 - 1),
    hold_out_reverse: v["hold-out-reverse"],
    batch_tokens: int("batch-tokens", 8),
    smoothing: fraction("smoothing"),
    schedule: v.schedule as RunFlags["schedule"],
    lr: numberFlag(v, "lr", { min: 0 }),
    warmup: int("warmup"),
    clip: numberFlag(v, "clip"),
    shape,
    epochs: int("epochs"),
    max_steps: int("max-steps"),
    average: int("average", 1, 1000),
    average_every: int("average-every", 1, 1e9),
  };
  const flags: TrainFlags = {
    run,
    data: v.data,
    sha256: v.sha256,
    resume: v.resume,
    init: v.init,
    out: v.out,
    force: v.force,
    evalEvery: int("eval-every"),
    saveMinutes: numberFlag(v, "save-minutes", { min: 0 }),
    keep: int("keep", 1, 100),
    keepEvery: int("keep-every", 1, 1e9),
    ship: v.ship,
    f16: v.f16,
    threads: threadsFlag(v, "train"),
  };
  checkCombinations(flags);
  return flags;
}

// The flags that name one of a few choices, and --sha256's form.
function checkChoices(v: Record<string, string | boolean | undefined>): void {
  if (v.preset !== undefined && !Object.hasOwn(PRESETS, v.preset as string)) {
    throw new UsageError(`Unknown preset "${v.preset}": use ${Object.keys(PRESETS).join(", ")}`);
  }
  if (v.direction !== undefined && !DIRECTIONS.includes(v.direction as Direction)) {
    throw new UsageError(`--direction must be ${DIRECTIONS.join(" or ")}, got "${v.direction}"`);
  }
  if (v.schedule !== undefined && v.schedule !== "noam" && v.schedule !== "constant") {
    throw new UsageError(`--schedule must be noam or constant, got "${v.schedule}"`);
  }
  if (v.tokenizer !== undefined && v.tokenizer !== "bpe" && v.tokenizer !== "word") {
    throw new UsageError(`--tokenizer must be bpe or word, got "${v.tokenizer}"`);
  }
  if (v.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(String(v.sha256))) {
    throw new UsageError(`--sha256 must be 64 hexadecimal digits, got "${v.sha256}"`);
  }
}

// Flags that need or exclude others, and held-out fractions that leave something to train.
function checkCombinations(flags: TrainFlags): void {
  const run = flags.run;
  if (run.textbook_copies !== undefined && !run.textbook) {
    throw new UsageError("--statquest-copies needs --statquest-pairs");
  }
  if (flags.keepEvery !== undefined && flags.keep === undefined) {
    throw new UsageError("--keep-every needs --keep N (how many snapshots to keep)");
  }
  if (run.average_every !== undefined && run.average === undefined && !flags.resume) {
    throw new UsageError("--average-every needs --average N (how many weights to average)");
  }
  const dev = run.dev ?? 0.02, test = run.test ?? 0.02;
  if (dev + test >= 1) {
    throw new UsageError(
      `--dev ${dev} and --test ${test} leave no sentence pairs for training; ` +
        "hold out less (they are fractions of the data)",
    );
  }
  if (flags.init && flags.resume) {
    throw new UsageError(
      "--init starts a new run from a checkpoint's weights, --resume continues one: give one",
    );
  }
}

// The flags' earlier names (--textbook, --textbook-copies), still read.
function currentName(arg: string): string {
  if (arg === "--textbook") return "--statquest-pairs";
  return arg.replace(/^--textbook-copies(?==|$)/, "--statquest-copies");
}
