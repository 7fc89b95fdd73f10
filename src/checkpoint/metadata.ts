/**
 * The metadata of a checkpoint: what each key holds, and the checks that every value is of
 * its kind (config, vocabularies, tokenizer, optimizer, the training record) before
 * anything is allocated. `checkpoint.ts` maps a model to its tensors; this is the rest.
 * @module
 */
import { MAX_BEAM } from "../model/beam.ts";
import { PRESETS, type TransformerConfig, validateConfig } from "../model/config.ts";
import { Vocabulary } from "../text/vocabulary.ts";
import { type TextCodec, WordCodec } from "../text/codec.ts";
import { BpeCodec } from "../text/bpe.ts";
import { OPTIMIZER_OPTION_KEYS, type OptimizerOptions } from "../train/optimizer.ts";
import { CheckpointError, isObject, type SafetensorsFile } from "./safetensors.ts";
import { RUN_RECORD_KEY, runRecordProblem } from "./run_record.ts";

/** The `format` value in the metadata of our checkpoints. */
export const CHECKPOINT_FORMAT = "vamos-transformer/1";

/** The `quantization` metadata of 8-bit checkpoints: int8 matrices with f32 row scales. */
export const INT8_ROWWISE = "int8-rowwise";

/** Throws the one-line error of a checkpoint that cannot be loaded. */
export function fail(msg: string): never {
  throw new CheckpointError(`Cannot load the checkpoint: ${msg}`);
}

function parseJson(metadata: Record<string, string>, key: string): unknown {
  if (!Object.hasOwn(metadata, key)) {
    fail(`the metadata has no "${key}"; was it saved by this package?`);
  }
  try {
    return JSON.parse(metadata[key]);
  } catch {
    fail(`the metadata "${key}" is not valid JSON`);
  }
}

function stringList(metadata: Record<string, string>, key: string): string[] {
  const v = parseJson(metadata, key);
  if (!Array.isArray(v) || !v.every((t) => typeof t === "string")) {
    fail(`the metadata "${key}" must be a JSON array of strings`);
  }
  return v;
}

const decimal = /^(0|[1-9][0-9]{0,15})$/;
const fraction = (v: unknown) => typeof v === "number" && v >= 0 && v < 1;

// The documented metadata keys besides the model's own and the run record, with their
// types (preset … textbook_copies: the run record of older checkpoints). Other keys (a
// user's notes) are kept as they are.
const TRAINING_METADATA: Record<string, (v: string) => boolean> = {
  preset: (v) => Object.hasOwn(PRESETS, v),
  seed: (v) => decimal.test(v),
  data_sha256: (v) => /^[0-9a-f]{64}$/.test(v),
  split: (v) => {
    try {
      const s = JSON.parse(v);
      return isObject(s) && Object.keys(s).sort().join() === "dev,seed,test" &&
        fraction(s.dev) && fraction(s.test) && (s.dev as number) + (s.test as number) < 1 &&
        Number.isSafeInteger(s.seed) && (s.seed as number) >= 0;
    } catch {
      return false;
    }
  },
  casual: (v) => /^[0-9.e-]+$/.test(v) && Number(v) >= 0 && Number(v) <= 1,
  textbook: (v) => v === "true" || v === "false",
  textbook_copies: (v) => decimal.test(v) && Number(v) >= 1,
  training_seconds: (v) => decimal.test(v),
  steps: (v) => decimal.test(v),
  quantization: (v) => v === INT8_ROWWISE,
  beam: (v) => decimal.test(v) && Number(v) >= 1 && Number(v) <= MAX_BEAM,
  alpha: (v) => /^[0-9.]+$/.test(v) && Number(v) >= 0 && Number(v) <= 10,
  verbatim: (v) => v === "true" || v === "false",
  verbatim_known: (v) => /^[\p{L}\p{M}]+( [\p{L}\p{M}]+)*$/u.test(v) || v === "",
  averaged: (v) => decimal.test(v) && Number(v) >= 1,
  // The loss curve so far, so a resumed run's SVG goes on from where it stopped.
  loss_curve: (v) => {
    try {
      const c = JSON.parse(v);
      return Array.isArray(c) && c.length <= 1_000_000 &&
        c.every((p) =>
          isObject(p) && Number.isSafeInteger(p.step) && typeof p.train === "number" &&
          (p.validation === undefined || typeof p.validation === "number") &&
          Object.keys(p).every((k) => k === "step" || k === "train" || k === "validation")
        );
    } catch {
      return false;
    }
  },
  averaged_steps: (v) => {
    try {
      const s = JSON.parse(v);
      return Array.isArray(s) && s.every((x) => Number.isSafeInteger(x) && x >= 0);
    } catch {
      return false;
    }
  },
};

function checkOptimizer(
  metadata: Record<string, string>,
): { step: number; options: OptimizerOptions } {
  const o = parseJson(metadata, "optimizer");
  if (!isObject(o) || Object.keys(o).sort().join() !== "options,step") {
    fail('the metadata "optimizer" must be {"step": N, "options": {...}}');
  }
  if (!Number.isSafeInteger(o.step) || (o.step as number) < 0) {
    fail(`the optimizer step must be a whole number, got ${JSON.stringify(o.step)}`);
  }
  const opts = o.options;
  if (!isObject(opts)) fail("the optimizer options must be an object");
  const number = (k: string, ok: (x: number) => boolean) => {
    const x = opts[k];
    if (typeof x !== "number" || !ok(x)) {
      fail(`the optimizer option ${k} is ${JSON.stringify(x)}, out of range`);
    }
  };
  for (const k of Object.keys(opts)) {
    if (!(OPTIMIZER_OPTION_KEYS as readonly string[]).includes(k)) {
      fail(`the optimizer option "${k}" is unknown`);
    }
  }
  if (opts.schedule !== "noam" && opts.schedule !== "constant") {
    fail(
      `the optimizer schedule must be "noam" or "constant", got ${JSON.stringify(opts.schedule)}`,
    );
  }
  number("lr", (x) => x >= 0 && Number.isFinite(x));
  number("warmup", (x) => Number.isSafeInteger(x) && x >= 0);
  number("beta1", (x) => x >= 0 && x < 1);
  number("beta2", (x) => x >= 0 && x < 1);
  number("eps", (x) => x > 0 && Number.isFinite(x));
  number("weightDecay", (x) => x >= 0 && Number.isFinite(x));
  number("clipNorm", (x) => x >= 0 && Number.isFinite(x));
  if (typeof opts.decoupled !== "boolean") fail("the optimizer option decoupled must be a boolean");
  return { step: o.step as number, options: opts as OptimizerOptions };
}

/** What a checkpoint's metadata says, every value checked; nothing allocated yet. */
export function readMetadata(file: SafetensorsFile) {
  const metadata = file.metadata;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    fail(
      `the metadata says format ${
        JSON.stringify(metadata.format ?? "(none)")
      }, expected "${CHECKPOINT_FORMAT}"; ` +
        "convert PyTorch weights with tools/torch_to_safetensors.py",
    );
  }
  let config: TransformerConfig;
  try {
    config = validateConfig(parseJson(metadata, "config") as TransformerConfig);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    fail((e as Error).message);
  }
  const srcTokens = stringList(metadata, "src_vocab");
  const tgtTokens = stringList(metadata, "tgt_vocab");
  if (srcTokens.length !== config.srcVocab) {
    fail(
      `the source vocabulary has ${srcTokens.length} tokens, the config says ${config.srcVocab}`,
    );
  }
  if (tgtTokens.length !== config.tgtVocab) {
    fail(
      `the target vocabulary has ${tgtTokens.length} tokens, the config says ${config.tgtVocab}`,
    );
  }
  if (Object.hasOwn(metadata, RUN_RECORD_KEY)) {
    const problem = runRecordProblem(metadata[RUN_RECORD_KEY]);
    if (problem) fail(`the metadata "${RUN_RECORD_KEY}" ${problem}`);
  }
  for (const [key, check] of Object.entries(TRAINING_METADATA)) {
    if (Object.hasOwn(metadata, key) && !check(metadata[key])) {
      fail(`the metadata "${key}" has a value of the wrong kind: ${metadata[key].slice(0, 80)}`);
    }
  }
  const kind = metadata.tokenizer ?? "word";
  let codec: TextCodec, srcVocab: Vocabulary, tgtVocab: Vocabulary;
  try {
    srcVocab = new Vocabulary(srcTokens);
    tgtVocab = new Vocabulary(tgtTokens);
    if (kind === "word") {
      if (Object.hasOwn(metadata, "bpe_chars") || Object.hasOwn(metadata, "bpe_merges")) {
        fail('the tokenizer is "word" but the metadata has BPE merges');
      }
      codec = new WordCodec();
    } else if (kind === "bpe") {
      const bpe = BpeCodec.fromMetadata(metadata);
      const tokens = bpe.vocabulary.tokens;
      for (const [side, list] of [["source", srcTokens], ["target", tgtTokens]] as const) {
        if (list.length !== tokens.length || list.some((t, i) => t !== tokens[i])) {
          fail(`the ${side} vocabulary is not the one the BPE merges define`);
        }
      }
      codec = bpe;
    } else fail(`tokenizer ${JSON.stringify(kind)} is unknown to this version (word or bpe)`);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    fail((e as Error).message);
  }
  if (config.startToken === "sos" && tgtVocab.sos === undefined) {
    fail('the config starts decoding with <SOS>, but the target vocabulary has no "<SOS>"');
  }
  const optimizer = Object.hasOwn(metadata, "optimizer") ? checkOptimizer(metadata) : undefined;
  return { config, srcVocab, tgtVocab, codec, optimizer };
}
