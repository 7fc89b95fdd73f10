/**
 * The settings that define a training run, and how they are settled: the ones recorded in
 * the checkpoint a run resumes (or fine-tunes) from win, then the flags given, then the
 * defaults (the textbook toy has its own). Every checkpoint records them (metadata
 * `train_options`), so `--resume` continues the same run, not another one.
 * @module
 */
import type { PresetName, TransformerConfig } from "../model/config.ts";
import type { Adam } from "../train/optimizer.ts";
import { UsageError } from "./run.ts";

/** The settings that define a run (the names are those of `train_options`). */
export interface RunSettings {
  preset: PresetName;
  data_sha256: string;
  tokenizer: "bpe" | "word";
  vocab_size: number;
  min_count: number;
  casual: number;
  verbatim: number;
  textbook: boolean;
  textbook_copies: number;
  dev: number;
  test: number;
  seed: number;
  batch_tokens: number;
  smoothing: number;
  schedule: "noam" | "constant";
  lr: number;
  warmup: number;
  clip: number;
  shape: Partial<TransformerConfig>;
}

/** Flag name → setting, for the flags a resumed run must agree with. */
export const SETTING_FLAGS: Record<string, keyof RunSettings> = {
  preset: "preset",
  tokenizer: "tokenizer",
  "vocab-size": "vocab_size",
  "min-count": "min_count",
  casual: "casual",
  verbatim: "verbatim",
  textbook: "textbook",
  "textbook-copies": "textbook_copies",
  dev: "dev",
  test: "test",
  seed: "seed",
  "batch-tokens": "batch_tokens",
  smoothing: "smoothing",
  schedule: "schedule",
  lr: "lr",
  warmup: "warmup",
  clip: "clip",
};

/** The shape flags: flag, config field, bounds. */
export const SHAPE_FLAGS = [
  ["d-model", "dModel", { min: 1, max: 8192, integer: true }],
  ["heads", "heads", { min: 1, max: 256, integer: true }],
  ["encoder-layers", "encoderLayers", { min: 0, max: 64, integer: true }],
  ["decoder-layers", "decoderLayers", { min: 1, max: 64, integer: true }],
  ["d-ff", "dFF", { min: 0, max: 65536, integer: true }],
  ["dropout", "dropout", { min: 0, max: 1, belowMax: true }],
] as const;

/** What a checkpoint says of its run (an older one, without `train_options`, too). */
export function settingsFromMetadata(
  metadata: Record<string, string>,
  optimizer: Adam | undefined,
): Partial<RunSettings> {
  if (metadata.train_options) return JSON.parse(metadata.train_options);
  const out: Partial<RunSettings> = {};
  if (metadata.preset) out.preset = metadata.preset as PresetName;
  if (metadata.data_sha256) out.data_sha256 = metadata.data_sha256;
  if (metadata.seed) out.seed = Number(metadata.seed);
  if (metadata.casual) out.casual = Number(metadata.casual);
  if (metadata.textbook) out.textbook = metadata.textbook === "true";
  if (metadata.textbook_copies) out.textbook_copies = Number(metadata.textbook_copies);
  if (metadata.split) {
    const s = JSON.parse(metadata.split);
    out.dev = s.dev;
    out.test = s.test;
  }
  if (optimizer) {
    const o = optimizer.options;
    Object.assign(out, { schedule: o.schedule, lr: o.lr, warmup: o.warmup, clip: o.clipNorm });
  }
  return out;
}

/** The flags of a run as given (undefined: not given). */
export interface RunFlags {
  preset?: PresetName;
  tokenizer?: "bpe" | "word";
  vocabSize?: number;
  minCount?: number;
  casual?: number;
  verbatim?: number;
  textbook?: boolean;
  textbookCopies?: number;
  dev?: number;
  test?: number;
  seed?: number;
  batchTokens?: number;
  smoothing?: number;
  schedule?: "noam" | "constant";
  lr?: number;
  warmup?: number;
  clip?: number;
  /** Shape flags (`--d-model` …). */
  shape: Partial<TransformerConfig>;
  /** Whether `--data` was given. */
  hasData: boolean;
  /** Whether the model comes from a checkpoint (`--resume`, `--init`): its shape is fixed. */
  fromCheckpoint: boolean;
}

/**
 * The run's settings from what the checkpoint recorded, the flags and the defaults, in that
 * order; and whether it trains the textbook toy (preset statquest, no data). A pure
 * function: tested directly.
 */
export function resolveRun(
  flags: RunFlags,
  recorded: Partial<RunSettings>,
): { run: RunSettings; toy: boolean } {
  const setting = <K extends keyof RunSettings>(
    key: K,
    flag: RunSettings[K] | undefined,
    fallback: RunSettings[K],
  ) => (recorded[key] ?? flag ?? fallback) as RunSettings[K];
  const preset = setting("preset", flags.preset, "small");
  const toy = preset === "statquest" && !flags.hasData && !recorded.data_sha256;
  if (toy && Object.keys(flags.shape).length) {
    throw new UsageError("The textbook toy has a fixed shape; train it without shape flags");
  }
  const run: RunSettings = {
    preset,
    data_sha256: recorded.data_sha256 ?? "",
    tokenizer: setting("tokenizer", flags.tokenizer, toy ? "word" : "bpe"),
    vocab_size: setting("vocab_size", flags.vocabSize, 8000),
    min_count: setting("min_count", flags.minCount, 2),
    casual: setting("casual", flags.casual, 0),
    verbatim: setting("verbatim", flags.verbatim, 0),
    textbook: setting("textbook", flags.textbook, false),
    textbook_copies: setting("textbook_copies", flags.textbookCopies, 1),
    dev: setting("dev", flags.dev, toy ? 0 : 0.02),
    test: setting("test", flags.test, toy ? 0 : 0.02),
    seed: setting("seed", flags.seed, 0),
    batch_tokens: setting("batch_tokens", flags.batchTokens, 2000),
    smoothing: setting("smoothing", flags.smoothing, toy ? 0 : 0.1),
    schedule: setting("schedule", flags.schedule, toy ? "constant" : "noam"),
    lr: setting("lr", flags.lr, toy ? 0.1 : 1),
    warmup: setting("warmup", flags.warmup, 4000),
    clip: setting("clip", flags.clip, 0),
    shape: flags.fromCheckpoint ? {} : flags.shape,
  };
  return { run, toy };
}
