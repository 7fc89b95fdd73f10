/**
 * The settings that define a training run, and how they are settled: the ones recorded in
 * the checkpoint a run resumes (or fine-tunes) from win, then the flags given, then the
 * defaults (the StatQuest model has its own). Every checkpoint records them once
 * (`src/checkpoint/run_record.ts`), so `--resume` continues the same run, not another one.
 * @module
 */
import { configFromPreset, type TransformerConfig } from "../model/config.ts";
import { recordedRun, RUN_RECORD_KEY, type RunSettings } from "../checkpoint/run_record.ts";
import type { Adam } from "../train/optimizer.ts";
import { UsageError } from "./run.ts";

export type { RunSettings };

/** Flag name → setting, for the flags a resumed run must agree with. */
export const SETTING_FLAGS: Record<string, keyof RunSettings> = {
  preset: "preset",
  direction: "direction",
  tokenizer: "tokenizer",
  "vocab-size": "vocab_size",
  "min-count": "min_count",
  casual: "casual",
  verbatim: "verbatim",
  "statquest-pairs": "textbook",
  "statquest-copies": "textbook_copies",
  dev: "dev",
  test: "test",
  seed: "seed",
  "hold-out-reverse": "hold_out_reverse",
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

/** The flags of a run as given, by the setting they set (undefined: not given). */
export type RunFlags = Partial<Omit<RunSettings, "shape" | "data_sha256">> & {
  /** Shape flags (`--d-model` …). */
  shape: Partial<TransformerConfig>;
  /** Whether `--data` was given. */
  hasData: boolean;
  /** Whether the model comes from a checkpoint (`--resume`, `--init`): its shape is fixed. */
  fromCheckpoint: boolean;
};

/**
 * What a checkpoint says of the run to continue: its record, and for a checkpoint older
 * than the record, the optimizer's own settings.
 */
export function settingsFromCheckpoint(
  metadata: Record<string, string>,
  optimizer: Adam | undefined,
): Partial<RunSettings> {
  const out = recordedRun(metadata);
  if (!metadata[RUN_RECORD_KEY] && optimizer) {
    const o = optimizer.options;
    Object.assign(out, { schedule: o.schedule, lr: o.lr, warmup: o.warmup, clip: o.clipNorm });
  }
  return out;
}

/**
 * The flags a resumed run contradicts, as `--flag value (the checkpoint has other)`: a
 * resumed run is the same run, so only the length and the outputs may change.
 */
export function resumeConflicts(
  flags: RunFlags,
  recorded: Partial<RunSettings>,
  config: TransformerConfig,
): string[] {
  const out: string[] = [];
  for (const [flag, key] of Object.entries(SETTING_FLAGS)) {
    const value = flags[key as keyof RunFlags];
    const was = recorded[key];
    if (value !== undefined && was !== undefined && value !== was) {
      out.push(`--${flag} ${value} (the checkpoint has ${was})`);
    }
  }
  for (const [flag, key] of SHAPE_FLAGS) {
    const value = flags.shape[key];
    if (value !== undefined && value !== config[key]) {
      out.push(`--${flag} ${value} (the checkpoint has ${config[key]})`);
    }
  }
  return out;
}

/** The settings a fine-tuning run keeps from the checkpoint it starts from. */
export const INIT_FIXES = [
  "preset",
  "direction",
  "tokenizer",
  "vocab-size",
  "min-count",
  "dev",
  "test",
  "seed",
  "hold-out-reverse",
];

/**
 * What a fine-tuning run takes from its checkpoint: the preset, the tokenizer and the
 * held-out split (so the held-out sentences stay held out), and the data's checksum.
 */
export function settingsForInit(
  metadata: Record<string, string>,
  tokenizer: "bpe" | "word",
  vocabSize: number,
): Partial<RunSettings> {
  const r = recordedRun(metadata);
  return {
    preset: r.preset ?? "small",
    direction: r.direction ?? "en-es",
    tokenizer,
    vocab_size: vocabSize,
    dev: r.dev ?? 0,
    test: r.test ?? 0,
    seed: r.seed ?? 0,
    ...(r.hold_out_reverse ? { hold_out_reverse: true } : {}),
    ...(r.data_sha256 ? { data_sha256: r.data_sha256 } : {}),
  };
}

/**
 * The run's settings from what the checkpoint recorded, the flags and the defaults, in that
 * order; and whether it trains the StatQuest model (preset statquest, no data). Refuses a
 * shape the config does not accept. A pure function: tested directly.
 */
export function resolveRun(
  flags: RunFlags,
  recorded: Partial<RunSettings>,
): { run: RunSettings; statquest: boolean } {
  const setting = <K extends keyof RunSettings>(
    key: K,
    flag: RunSettings[K] | undefined,
    fallback: RunSettings[K],
  ) => (recorded[key] ?? flag ?? fallback) as RunSettings[K];
  const preset = setting("preset", flags.preset, "small");
  const statquest = preset === "statquest" && !flags.hasData && !recorded.data_sha256;
  if (statquest && Object.keys(flags.shape).length) {
    throw new UsageError("The StatQuest model has a fixed shape; train it without shape flags");
  }
  const direction = setting("direction", flags.direction, "en-es");
  if (statquest && direction !== "en-es") {
    throw new UsageError(
      "The StatQuest model translates English to Spanish only; give --data to train es-en",
    );
  }
  // The run's length may change on resume: the flag wins, then the record, then the default.
  const length = <K extends keyof RunSettings>(key: K, fallback: RunSettings[K]) =>
    (flags[key as keyof RunFlags] ?? recorded[key] ?? fallback) as RunSettings[K];
  const run: RunSettings = {
    preset,
    direction,
    data_sha256: recorded.data_sha256 ?? "",
    tokenizer: setting("tokenizer", flags.tokenizer, statquest ? "word" : "bpe"),
    vocab_size: setting("vocab_size", flags.vocab_size, 8000),
    min_count: setting("min_count", flags.min_count, 2),
    casual: setting("casual", flags.casual, 0),
    verbatim: setting("verbatim", flags.verbatim, 0),
    textbook: setting("textbook", flags.textbook, false),
    textbook_copies: setting("textbook_copies", flags.textbook_copies, 1),
    dev: setting("dev", flags.dev, statquest ? 0 : 0.02),
    test: setting("test", flags.test, statquest ? 0 : 0.02),
    seed: setting("seed", flags.seed, 0),
    ...(setting("hold_out_reverse", flags.hold_out_reverse, false)
      ? { hold_out_reverse: true }
      : {}),
    batch_tokens: setting("batch_tokens", flags.batch_tokens, 2000),
    smoothing: setting("smoothing", flags.smoothing, statquest ? 0 : 0.1),
    schedule: setting("schedule", flags.schedule, statquest ? "constant" : "noam"),
    lr: setting("lr", flags.lr, statquest ? 0.1 : 1),
    warmup: setting("warmup", flags.warmup, 4000),
    clip: setting("clip", flags.clip, 0),
    shape: flags.fromCheckpoint ? {} : flags.shape,
    epochs: length("epochs", statquest ? 100 : 10),
    max_steps: length("max_steps", 0),
    average: length("average", 0),
    average_every: length("average_every", 100),
  };
  if (!flags.fromCheckpoint && !statquest) {
    // The shape flags make a model the config accepts (heads dividing d_model, ...).
    try {
      configFromPreset(
        run.preset,
        { srcVocab: run.vocab_size, tgtVocab: run.vocab_size },
        run.shape,
      );
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return { run, statquest };
}
