/**
 * Models as safetensors checkpoints: which tensors a model has (PyTorch nn.Transformer
 * state_dict names) and how they are written and read back. Loading treats the file as
 * untrusted: the structure (`safetensors.ts`), every metadata value (`metadata.ts`) and
 * every tensor are checked against the config before any model memory is allocated.
 * @module
 */
import { Transformer } from "../model/model.ts";
import { DEFAULT_ALPHA } from "../model/beam.ts";
import { TransformerCore } from "../model/transformer_core.ts";
import { parameterSpecs, type TransformerConfig } from "../model/config.ts";
import { layoutParams } from "../model/params.ts";
import { Shortlist } from "../model/shortlist.ts";
import { Adam } from "../train/optimizer.ts";
import { recordedRun } from "./run_record.ts";
import {
  CheckpointError,
  parseSafetensors,
  readIntegers,
  readTensor,
  type SafetensorsFile,
  type TensorToWrite,
  writeSafetensors,
} from "./safetensors.ts";
import { CHECKPOINT_FORMAT, fail, INT8_ROWWISE, readMetadata } from "./metadata.ts";

export { CheckpointError };
export { CHECKPOINT_FORMAT, INT8_ROWWISE };

/** Options of {@linkcode saveModel}. */
export interface SaveOptions {
  /** Also save the optimizer's step and moments, so training can resume exactly. */
  optimizer?: Adam;
  /** Extra metadata strings (training data checksum, seed, ...). */
  metadata?: Record<string, string>;
  /**
   * Store weights as 32-bit floats (default), 16-bit (half the size), or 8-bit integers
   * with a scale per row for every matrix (a quarter of the size; biases and norms stay
   * 32-bit): metadata `quantization` is then `int8-rowwise`. Both smaller kinds are for
   * shipping: they cannot carry the optimizer state.
   */
  dtype?: "F32" | "F16" | "I8";
}

/**
 * Per-row symmetric int8 quantization of a rows × cols matrix: scale = max|w| / 127,
 * q = round(w / scale), so every value is within scale / 2 of its original.
 */
export function quantizeRows(
  w: Float32Array,
  rows: number,
): { q: Int8Array; scale: Float32Array } {
  const cols = w.length / rows;
  const q = new Int8Array(w.length), scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(w[r * cols + c]));
    const s = Math.fround(max / 127);
    scale[r] = s;
    if (s === 0) continue;
    for (let c = 0; c < cols; c++) {
      q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(w[r * cols + c] / s)));
    }
  }
  return { q, scale };
}

const OPTIMIZER_TENSORS = ["optimizer.exp_avg", "optimizer.exp_avg_sq"] as const;
// A vocabulary shortlist (`Shortlist`): targets per source token, their lists, and the
// tokens every sentence gets.
const SHORTLIST_TENSORS = {
  counts: "shortlist.counts",
  targets: "shortlist.targets",
  frequent: "shortlist.frequent",
} as const;

function shortlistTensors(s: Shortlist): TensorToWrite[] {
  return [
    { name: SHORTLIST_TENSORS.counts, shape: [s.counts.length], data: s.counts },
    { name: SHORTLIST_TENSORS.targets, shape: [s.targets.length], data: s.targets },
    { name: SHORTLIST_TENSORS.frequent, shape: [s.frequent.length], data: s.frequent },
  ];
}

// The shortlist a checkpoint holds, checked (all three tensors or none).
function readShortlist(file: SafetensorsFile, config: TransformerConfig): Shortlist | undefined {
  const names = Object.values(SHORTLIST_TENSORS);
  const present = names.filter((n) => file.tensors.has(n));
  if (present.length === 0) return undefined;
  if (present.length < names.length) {
    fail(`a shortlist needs tensors ${names.join(", ")}; this file has only ${present.join(", ")}`);
  }
  const { counts, targets, frequent } = SHORTLIST_TENSORS;
  for (const [name, dtype] of [[counts, "U8"], [targets, "U16"], [frequent, "U16"]]) {
    const t = file.tensors.get(name)!;
    if (t.dtype !== dtype || t.shape.length !== 1) {
      fail(`tensor "${name}" must be ${dtype} with one dimension`);
    }
  }
  if (file.tensors.get(counts)!.shape[0] !== config.srcVocab) {
    fail(`tensor "${counts}" must have one count per source token`);
  }
  try {
    return new Shortlist(
      config.tgtVocab,
      readIntegers(file, counts) as Uint8Array,
      readIntegers(file, targets) as Uint16Array,
      readIntegers(file, frequent) as Uint16Array,
    );
  } catch (e) {
    if (e instanceof CheckpointError || !(e instanceof Error)) throw e;
    fail(e.message.replace(/^The shortlist/, "the shortlist"));
  }
}

/**
 * `model` saved as the checkpoint it was loaded from (`metadata`, `optimizer`): 8-bit if
 * that was, with its optimizer state if it was 32-bit and had one, its other metadata kept.
 * For tools that add to a checkpoint (a shortlist, known words) and leave the weights as
 * they are.
 */
export function resaveModel(
  model: Transformer,
  metadata: Record<string, string>,
  optimizer?: SaveOptions["optimizer"],
): Uint8Array {
  const { quantization, optimizer: _saved, ...rest } = metadata;
  const int8 = quantization === INT8_ROWWISE;
  return saveModel(model, {
    dtype: int8 ? "I8" : "F32",
    optimizer: int8 ? undefined : optimizer,
    metadata: rest,
  });
}

/**
 * Serializes a model (and optionally its optimizer) as safetensors bytes.
 *
 * @example
 * ```ts
 * import { createModel, loadModel, saveModel, Vocabulary } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * const vocab = new Vocabulary(["a", "b", "<EOS>"]);
 * const model = createModel("statquest", { srcVocab: vocab, tgtVocab: vocab, seed: 4 });
 * const copy = await loadModel(saveModel(model));
 * deepEqual(copy.logits([[0, 2]], [[2, 1]]), model.logits([[0, 2]], [[2, 1]]));
 * ```
 */
export function saveModel(model: Transformer, opts: SaveOptions = {}): Uint8Array {
  const params = model.core.params;
  const f32 = model.core.rt.f32;
  const dtype = opts.dtype ?? "F32";
  if (dtype !== "F32" && opts.optimizer) {
    throw new CheckpointError("The optimizer state is saved with 32-bit weights only");
  }
  const tensors: TensorToWrite[] = params.entries.flatMap((e): TensorToWrite[] => {
    const at = (params.values.ptr >>> 2) + e.offset;
    const data = f32.subarray(at, at + e.size);
    if (dtype === "I8") {
      if (e.shape.length !== 2) return [{ name: e.name, shape: e.shape, data }];
      const { q, scale } = quantizeRows(data, e.shape[0]);
      return [
        { name: e.name, shape: e.shape, data: q },
        { name: `${e.name}.scale`, shape: [e.shape[0]], data: scale },
      ];
    }
    return [{ name: e.name, shape: e.shape, data, dtype }];
  });
  // The decoding defaults are the model's own, whatever metadata is passed along.
  const { beam: _beam, alpha: _alpha, verbatim: _verbatim, verbatim_known: _known, ...given } =
    opts.metadata ?? {};
  const metadata: Record<string, string> = {
    ...given,
    ...(model.verbatim ? { verbatim: "true" } : {}),
    ...(model.verbatimKnown ? { verbatim_known: [...model.verbatimKnown].join(" ") } : {}),
    ...(model.beam !== 1 ? { beam: String(model.beam) } : {}),
    ...(model.alpha !== DEFAULT_ALPHA ? { alpha: String(model.alpha) } : {}),
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(model.config),
    src_vocab: JSON.stringify(model.srcVocab.tokens),
    tgt_vocab: JSON.stringify(model.tgtVocab.tokens),
    tokenizer: model.codec.kind,
    ...(model.codec as { metadata?: () => Record<string, string> }).metadata?.(),
    ...(dtype === "I8" ? { quantization: INT8_ROWWISE } : {}),
  };
  if (opts.optimizer) {
    const { m, v } = params.moments();
    metadata.optimizer = JSON.stringify({
      step: opts.optimizer.step,
      options: opts.optimizer.options,
    });
    // Optimizer moments always stay f32: resuming must be exact.
    tensors.push({ name: OPTIMIZER_TENSORS[0], shape: [params.count], data: m.view() });
    tensors.push({ name: OPTIMIZER_TENSORS[1], shape: [params.count], data: v.view() });
  }
  if (model.shortlist) tensors.push(...shortlistTensors(model.shortlist));
  return writeSafetensors(tensors, metadata);
}

// Every tensor the config and metadata call for, exactly once, with its shape; nothing else.
function checkTensors(
  file: SafetensorsFile,
  config: TransformerConfig,
  withOptimizer: boolean,
  regionFloats: number,
  quantized: boolean,
): void {
  const specs = parameterSpecs(config);
  const expected = new Map(specs.map((s) => [s.name, s.shape]));
  if (withOptimizer) { for (const name of OPTIMIZER_TENSORS) expected.set(name, [regionFloats]); }
  if (withOptimizer && quantized) fail("an 8-bit checkpoint cannot carry optimizer state");
  for (const s of specs) {
    if (quantized && s.shape.length === 2) expected.set(`${s.name}.scale`, [s.shape[0]]);
  }
  const matrices = new Set(specs.filter((s) => s.shape.length === 2).map((s) => s.name));
  const matrix = (name: string) => quantized && matrices.has(name);
  const shortlist = new Set<string>(Object.values(SHORTLIST_TENSORS));
  for (const [name, t] of file.tensors) {
    if (shortlist.has(name)) continue; // checked by readShortlist
    const shape = expected.get(name);
    if (!shape) {
      fail(
        name.startsWith("optimizer.") && !withOptimizer
          ? `tensor "${name}" is optimizer state, but the metadata has no "optimizer"`
          : `tensor "${name}" is not a parameter of this configuration`,
      );
    }
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      fail(`tensor "${name}" has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
    }
    if (name.startsWith("optimizer.") && t.dtype !== "F32") {
      fail(`tensor "${name}" is ${t.dtype}; optimizer state must be F32 to resume exactly`);
    }
    if (matrix(name) !== (t.dtype === "I8")) {
      fail(
        matrix(name)
          ? `tensor "${name}" is ${t.dtype}; an ${INT8_ROWWISE} checkpoint stores matrices as I8`
          : `tensor "${name}" is I8, but only the matrices of an ${INT8_ROWWISE} checkpoint may be`,
      );
    }
    if (name.endsWith(".scale") && t.dtype !== "F32") fail(`tensor "${name}" must be F32`);
  }
  for (const name of expected.keys()) {
    if (!file.tensors.has(name)) fail(`tensor "${name}" is missing`);
  }
}

function checkFinite(name: string, values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      fail(`tensor "${name}" holds ${values[i]} at index ${i}; the weights are corrupt`);
    }
  }
}

/** The model and, if saved with one, the optimizer state of a checkpoint. */
export interface LoadedCheckpoint {
  /** The model. */
  model: Transformer;
  /** The optimizer, when the checkpoint has one (for resuming training). */
  optimizer?: Adam;
  /** The metadata strings of the file. */
  metadata: Record<string, string>;
}

/** Options of {@linkcode loadModel} and {@linkcode loadCheckpoint}. */
export interface LoadOptions {
  /** Threads for the kernels (default: every core). */
  threads?: number;
  /**
   * Translate (and run every other inference) with 8-bit matrix products: rows of
   * activations quantized on the fly, integer dot products, scales applied after.
   * Default: true for an 8-bit checkpoint (metadata `quantization: int8-rowwise`),
   * false otherwise. Training always uses the 32-bit weights.
   */
  int8?: boolean;
}

/**
 * Loads a checkpoint with everything in it; see {@linkcode loadModel}.
 *
 * @example
 * ```ts
 * import { createModel, loadCheckpoint, saveModel, Vocabulary } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const vocab = new Vocabulary(["a", "b", "<EOS>"]);
 * const model = createModel("statquest", { srcVocab: vocab, tgtVocab: vocab });
 * const { metadata } = loadCheckpoint(saveModel(model, { metadata: { note: "hi" } }));
 * equal(metadata.note, "hi");
 * ```
 */
export function loadCheckpoint(bytes: Uint8Array, opts: LoadOptions = {}): LoadedCheckpoint {
  const file = parseSafetensors(bytes);
  const { config, srcVocab, tgtVocab, codec, optimizer: saved } = readMetadata(file);
  const regionFloats = layoutParams(parameterSpecs(config)).floats;
  const quantized = file.metadata.quantization === INT8_ROWWISE;
  checkTensors(file, config, saved !== undefined, regionFloats, quantized);
  const shortlist = readShortlist(file, config);
  // Everything is consistent: the model's memory is now bounded by the file's size.
  const core = new TransformerCore(config, { threads: opts.threads, initialize: false });
  const params = core.params;
  const f32 = core.rt.f32;
  for (const e of params.entries) {
    const at = (params.values.ptr >>> 2) + e.offset;
    const dst = f32.subarray(at, at + e.size);
    let scale: Float32Array | undefined;
    if (quantized && e.shape.length === 2) {
      scale = new Float32Array(e.shape[0]);
      readTensor(file, `${e.name}.scale`, scale);
      if (scale.some((x) => !(x >= 0 && Number.isFinite(x)))) {
        fail(`tensor "${e.name}.scale" holds a scale that is negative or not finite`);
      }
    }
    readTensor(file, e.name, dst, scale);
    checkFinite(e.name, dst);
  }
  let optimizer: Adam | undefined;
  if (saved) {
    const moments = params.moments();
    readTensor(file, OPTIMIZER_TENSORS[0], moments.m.view());
    readTensor(file, OPTIMIZER_TENSORS[1], moments.v.view());
    checkFinite(OPTIMIZER_TENSORS[0], moments.m.view());
    checkFinite(OPTIMIZER_TENSORS[1], moments.v.view());
    optimizer = new Adam(params, config.dModel, saved.options);
    optimizer.step = saved.step;
  }
  params.useInt8(opts.int8 ?? quantized);
  const model = new Transformer(core, srcVocab, tgtVocab, codec);
  model.beam = Number(file.metadata.beam ?? 1);
  model.alpha = Number(file.metadata.alpha ?? DEFAULT_ALPHA);
  model.shortlist = shortlist;
  model.verbatim = file.metadata.verbatim === "true";
  model.sourceLanguage = recordedRun(file.metadata).direction === "es-en" ? "es" : "en";
  if (file.metadata.verbatim_known !== undefined) {
    model.verbatimKnown = new Set(file.metadata.verbatim_known.split(" ").filter(Boolean));
  }
  return { model, optimizer, metadata: file.metadata };
}

/**
 * Loads a model from safetensors bytes written by {@linkcode saveModel} (or converted
 * from PyTorch). The file is untrusted: its structure, metadata, every tensor's name,
 * dtype, shape and byte range, and the weights' values are checked; anything wrong
 * raises a CheckpointError naming the first problem. Resolves once the model's worker
 * threads run (see {@linkcode Transformer.ready}).
 *
 * @example
 * ```ts
 * import { CheckpointError, loadModel } from "@vamos/transformer";
 * import { rejects } from "node:assert/strict";
 * await rejects(loadModel(new Uint8Array([1, 2, 3])), CheckpointError);
 * ```
 */
export async function loadModel(bytes: Uint8Array, opts: LoadOptions = {}): Promise<Transformer> {
  return await loadCheckpoint(bytes, opts).model.ready();
}
