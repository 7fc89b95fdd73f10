/**
 * What a checkpoint records of the run that trained it, once: the metadata key
 * `train_options`, the run's settings as JSON. `train.ts --resume` continues the same run
 * from it, `--init` keeps its tokenizer and held-out split, `eval.ts --split` finds the
 * sentences it never saw. Checkpoints written before this record kept some of it under
 * their own keys (`preset`, `seed`, `split`, ...); those are still read.
 * @module
 */
import { type PresetName, PRESETS, type TransformerConfig } from "../model/config.ts";
import { isObject } from "./safetensors.ts";
import { type Direction, DIRECTIONS } from "../text/languages.ts";

/** The metadata key of the record. */
export const RUN_RECORD_KEY = "train_options";

/** The settings that define a training run (the names are those stored in the record). */
export interface RunSettings {
  preset: PresetName;
  /** Which column is the source: "en-es" (English→Spanish, the data's order) or "es-en". */
  direction: Direction;
  /** sha256 of the data file, or "" (the StatQuest model). */
  data_sha256: string;
  tokenizer: "bpe" | "word";
  vocab_size: number;
  min_count: number;
  casual: number;
  verbatim: number;
  /** --statquest-pairs and --statquest-copies, recorded under their first names. */
  textbook: boolean;
  textbook_copies: number;
  dev: number;
  test: number;
  seed: number;
  /**
   * Also leave out of training every pair that shares a sentence with the other direction's
   * dev and test splits (same fractions and seed), so this model can rerank that direction's
   * held-out translations without having seen them. Absent in older records: false.
   */
  hold_out_reverse?: boolean;
  batch_tokens: number;
  smoothing: number;
  schedule: "noam" | "constant";
  lr: number;
  warmup: number;
  clip: number;
  shape: Partial<TransformerConfig>;
  /** The run's length: passes over the data, and a step limit (0: none). */
  epochs: number;
  max_steps: number;
  /** `--average N` (0: none) and `--average-every`: which weights the final file averages. */
  average: number;
  average_every: number;
}

/** The held-out split of a run: fractions of the source sentences, and the seed. */
export interface RecordedSplit {
  dev: number;
  test: number;
  seed: number;
}

const count = (min: number) => (v: unknown) => Number.isSafeInteger(v) && (v as number) >= min;
const between = (min: number, max: number, belowMax = false) => (v: unknown) =>
  typeof v === "number" && v >= min && (belowMax ? v < max : v <= max);
const SHAPE_KEYS = ["dModel", "heads", "encoderLayers", "decoderLayers", "dFF", "dropout"];

// Each setting's kind; a record with another key, or a value of the wrong kind, is refused.
const KINDS: Record<keyof RunSettings, (v: unknown) => boolean> = {
  preset: (v) => typeof v === "string" && Object.hasOwn(PRESETS, v),
  direction: (v) => DIRECTIONS.includes(v as Direction),
  data_sha256: (v) => typeof v === "string" && /^([0-9a-f]{64})?$/.test(v),
  tokenizer: (v) => v === "bpe" || v === "word",
  vocab_size: count(1),
  min_count: count(1),
  casual: between(0, 1),
  verbatim: between(0, 1),
  textbook: (v) => typeof v === "boolean",
  textbook_copies: count(1),
  dev: between(0, 1, true),
  test: between(0, 1, true),
  seed: count(0),
  hold_out_reverse: (v) => typeof v === "boolean",
  batch_tokens: count(1),
  smoothing: between(0, 1, true),
  schedule: (v) => v === "noam" || v === "constant",
  lr: between(0, Number.MAX_VALUE),
  warmup: count(0),
  clip: between(0, Number.MAX_VALUE),
  shape: (v) =>
    isObject(v) &&
    Object.entries(v).every(([k, x]) => SHAPE_KEYS.includes(k) && typeof x === "number"),
  epochs: count(1),
  max_steps: count(0),
  average: count(0),
  average_every: count(1),
};

/** Why a record's text is not a run record, or undefined when it is one. */
export function runRecordProblem(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "is not valid JSON";
  }
  if (!isObject(v)) return "must be a JSON object";
  for (const [key, value] of Object.entries(v)) {
    if (!Object.hasOwn(KINDS, key)) return `has an unknown setting "${key}"`;
    if (!KINDS[key as keyof RunSettings](value)) {
      return `has ${key} ${JSON.stringify(value).slice(0, 40)}, of the wrong kind`;
    }
  }
  const { dev = 0, test = 0 } = v as Partial<RunSettings>;
  if (dev + test >= 1) return "holds out every sentence (dev + test ≥ 1)";
  return undefined;
}

/**
 * What the metadata records of its run (empty for a model not trained by train.ts). The
 * loader has checked every value already; this only reads them.
 */
export function recordedRun(metadata: Record<string, string>): Partial<RunSettings> {
  if (metadata[RUN_RECORD_KEY]) return JSON.parse(metadata[RUN_RECORD_KEY]);
  // Older checkpoints: the settings they kept under their own keys.
  const out: Partial<RunSettings> = {};
  if (metadata.preset) out.preset = metadata.preset as PresetName;
  if (metadata.data_sha256) out.data_sha256 = metadata.data_sha256;
  if (metadata.seed) out.seed = Number(metadata.seed);
  if (metadata.casual) out.casual = Number(metadata.casual);
  if (metadata.textbook) out.textbook = metadata.textbook === "true";
  if (metadata.textbook_copies) out.textbook_copies = Number(metadata.textbook_copies);
  if (metadata.split) {
    const s = JSON.parse(metadata.split) as RecordedSplit;
    Object.assign(out, { dev: s.dev, test: s.test, seed: s.seed });
  }
  return out;
}

/** The held-out split the metadata records, or undefined when it records none. */
export function recordedSplit(metadata: Record<string, string>): RecordedSplit | undefined {
  const r = recordedRun(metadata);
  if (r.dev === undefined || r.test === undefined || r.seed === undefined) return undefined;
  return { dev: r.dev, test: r.test, seed: r.seed };
}
