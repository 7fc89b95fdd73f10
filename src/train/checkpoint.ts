/**
 * Checkpoints in the safetensors format: an 8-byte little-endian header length, a JSON
 * header (dtype, shape and byte range of every tensor, plus `__metadata__` with the
 * config, both vocabularies and the tokenizer), then the tensor bytes. Tensor names
 * are PyTorch nn.Transformer state_dict names, so weights move between the two as is.
 * @module
 */
import { Transformer } from "../model/model.ts";
import { TransformerCore } from "../model/transformer.ts";
import { parameterSpecs, type TransformerConfig, validateConfig } from "../model/config.ts";
import { Vocabulary } from "../text/vocabulary.ts";
import { type TextCodec, WordCodec } from "../text/codec.ts";
import { BpeCodec } from "../text/bpe.ts";
import { Adam, type OptimizerOptions } from "./optimizer.ts";
import { VamosError } from "../errors.ts";

/** The `format` value in the metadata of our checkpoints. */
export const CHECKPOINT_FORMAT = "vamos-transformer/1";

/** A checkpoint that cannot be read: truncated, corrupt, or not for this kind of model. */
export class CheckpointError extends VamosError {}

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Options of {@linkcode saveModel}. */
export interface SaveOptions {
  /** Also save the optimizer's step and moments, so training can resume exactly. */
  optimizer?: Adam;
  /** Extra metadata strings (training data checksum, seed, ...). */
  metadata?: Record<string, string>;
  /** Store weights as 32-bit floats (default) or 16-bit (half the size, for shipping). */
  dtype?: "F32" | "F16";
}

// f32 → IEEE half, round to nearest even (overflow to ±inf, subnormals kept).
function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

const codecs: Record<string, (metadata: Record<string, string>) => TextCodec> = {
  word: () => new WordCodec(),
  bpe: (m) => BpeCodec.fromMetadata(m),
};

/** Registers a tokenizer kind so checkpoints naming it can be loaded. */
export function registerCodec(
  kind: string,
  make: (metadata: Record<string, string>) => TextCodec,
): void {
  codecs[kind] = make;
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
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = params.entries.map(
    (e) => {
      const at = (params.values.ptr >> 2) + e.offset;
      return { name: e.name, shape: e.shape, data: f32.subarray(at, at + e.size) };
    },
  );
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(model.config),
    src_vocab: JSON.stringify(model.srcVocab.tokens),
    tgt_vocab: JSON.stringify(model.tgtVocab.tokens),
    tokenizer: model.codec.kind,
    ...(model.codec as { metadata?: () => Record<string, string> }).metadata?.(),
    ...opts.metadata,
  };
  if (opts.optimizer) {
    const { m, v } = params.moments();
    metadata.optimizer = JSON.stringify({
      step: opts.optimizer.step,
      options: opts.optimizer.options,
    });
    tensors.push({ name: "optimizer.exp_avg", shape: [params.count], data: m.view() });
    tensors.push({ name: "optimizer.exp_avg_sq", shape: [params.count], data: v.view() });
  }
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const half = opts.dtype === "F16";
  // Optimizer moments always stay f32: resuming must be exact.
  const bytesOf = (name: string) => (half && !name.startsWith("optimizer.") ? 2 : 4);
  for (const t of tensors) {
    const n = t.data.length * bytesOf(t.name);
    header[t.name] = {
      dtype: bytesOf(t.name) === 2 ? "F16" : "F32",
      shape: t.shape,
      data_offsets: [offset, offset + n],
    };
    offset += n;
  }
  const jsonBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (jsonBytes.length % 8)) % 8; // spaces, so the data starts 8-aligned
  const headerLen = jsonBytes.length + pad;
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLen), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const t of tensors) {
    if (bytesOf(t.name) === 2) {
      for (let i = 0; i < t.data.length; i++) {
        dv.setUint16(at + 2 * i, floatToHalf(t.data[i]), true);
      }
      at += 2 * t.data.length;
      continue;
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (isLittleEndian) out.set(bytes, at);
    else for (let i = 0; i < t.data.length; i++) dv.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(msg: string): never {
  throw new CheckpointError(`Cannot load the checkpoint: ${msg}`);
}

/** The parsed header of a safetensors file, checked for consistency. */
export function readHeader(
  bytes: Uint8Array,
): { header: Record<string, TensorInfo>; metadata: Record<string, string>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) fail("expected the file's bytes as a Uint8Array");
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, too short to be safetensors`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(
      `the header claims ${n} bytes but the file has ${
        bytes.length - 8
      } after its length; the file is truncated or not safetensors`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + Number(n))),
    );
  } catch {
    fail("the header is not valid JSON; the file is corrupt or not safetensors");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    fail("the header is not a JSON object");
  }
  const { __metadata__: meta, ...rest } = parsed as Record<string, unknown>;
  const dataStart = 8 + Number(n);
  const dataLen = bytes.length - dataStart;
  const header: Record<string, TensorInfo> = {};
  for (const [name, info] of Object.entries(rest)) {
    const t = info as TensorInfo;
    if (
      typeof t !== "object" || t === null || typeof t.dtype !== "string" ||
      !Array.isArray(t.shape) ||
      !Array.isArray(t.data_offsets) || t.data_offsets.length !== 2
    ) {
      fail(`tensor "${name}" has a malformed entry`);
    }
    const [a, b] = t.data_offsets;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a || b > dataLen) {
      fail(
        `tensor "${name}" has bytes ${a}..${b} but the data section has ${dataLen} bytes; the file is truncated or corrupt`,
      );
    }
    header[name] = t;
  }
  const metadata: Record<string, string> = {};
  if (meta && typeof meta === "object") {
    for (const [k, v] of Object.entries(meta)) if (typeof v === "string") metadata[k] = v;
  }
  return { header, metadata, dataStart };
}

function parseJson<T>(metadata: Record<string, string>, key: string): T {
  if (!(key in metadata)) fail(`the metadata has no "${key}"; was it saved by this package?`);
  try {
    return JSON.parse(metadata[key]) as T;
  } catch {
    fail(`the metadata "${key}" is not valid JSON`);
  }
}

function bytesPerElement(dtype: string): number {
  if (dtype === "F32") return 4;
  if (dtype === "F16" || dtype === "BF16") return 2;
  fail(`dtype ${dtype} is not supported (use F32, F16 or BF16)`);
}

let halfTable: Float32Array | undefined;

// All 65536 half-precision values, decoded once: converting a 16-bit checkpoint is
// then one lookup per weight.
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Copies a tensor's values (any supported dtype) into `dst` as f32. */
function readTensor(bytes: Uint8Array, dataStart: number, t: TensorInfo, dst: Float32Array): void {
  const at = bytes.byteOffset + dataStart + t.data_offsets[0];
  const dv = new DataView(bytes.buffer, at);
  const n = dst.length;
  if (t.dtype === "F32") {
    if (isLittleEndian && at % 4 === 0) dst.set(new Float32Array(bytes.buffer, at, n));
    else for (let i = 0; i < n; i++) dst[i] = dv.getFloat32(4 * i, true);
  } else if (t.dtype === "F16") {
    const table = halfToFloatTable();
    for (let i = 0; i < n; i++) dst[i] = table[dv.getUint16(2 * i, true)];
  } else {
    const u = new Uint32Array(1), f = new Float32Array(u.buffer);
    for (let i = 0; i < n; i++) {
      u[0] = dv.getUint16(2 * i, true) << 16;
      dst[i] = f[0];
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
}

/** Loads a checkpoint with everything in it; see {@linkcode loadModel}. */
export function loadCheckpoint(bytes: Uint8Array, opts: LoadOptions = {}): LoadedCheckpoint {
  const { header, metadata, dataStart } = readHeader(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    fail(
      `the metadata says format "${
        metadata.format ?? "(none)"
      }", expected "${CHECKPOINT_FORMAT}"; ` +
        "convert PyTorch weights with tools/torch_to_safetensors.py",
    );
  }
  let config: TransformerConfig;
  try {
    config = validateConfig(parseJson<TransformerConfig>(metadata, "config"));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    fail((e as Error).message);
  }
  const srcTokens = parseJson<string[]>(metadata, "src_vocab");
  const tgtTokens = parseJson<string[]>(metadata, "tgt_vocab");
  if (!Array.isArray(srcTokens) || srcTokens.length !== config.srcVocab) {
    fail(
      `the source vocabulary has ${srcTokens?.length} tokens, the config says ${config.srcVocab}`,
    );
  }
  if (!Array.isArray(tgtTokens) || tgtTokens.length !== config.tgtVocab) {
    fail(
      `the target vocabulary has ${tgtTokens?.length} tokens, the config says ${config.tgtVocab}`,
    );
  }
  const kind = metadata.tokenizer ?? "word";
  const makeCodec = codecs[kind];
  if (!makeCodec) fail(`tokenizer "${kind}" is unknown to this version`);
  let codec: TextCodec, srcVocab: Vocabulary, tgtVocab: Vocabulary;
  try {
    codec = makeCodec(metadata);
    srcVocab = new Vocabulary(srcTokens);
    tgtVocab = new Vocabulary(tgtTokens);
  } catch (e) {
    fail((e as Error).message);
  }
  const core = new TransformerCore(config, { threads: opts.threads, initialize: false });
  const params = core.params;
  const expected = new Set(parameterSpecs(config).map((s) => s.name));
  for (const name of Object.keys(header)) {
    if (!expected.has(name) && !name.startsWith("optimizer.")) {
      fail(`tensor "${name}" is not a parameter of this configuration`);
    }
  }
  const f32 = core.rt.f32;
  for (const e of params.entries) {
    const t = header[e.name];
    if (!t) fail(`tensor "${e.name}" is missing`);
    if (t.shape.length !== e.shape.length || t.shape.some((s, i) => s !== e.shape[i])) {
      fail(
        `tensor "${e.name}" has shape [${t.shape.join(", ")}], expected [${e.shape.join(", ")}]`,
      );
    }
    const need = e.size * bytesPerElement(t.dtype);
    if (t.data_offsets[1] - t.data_offsets[0] !== need) {
      fail(
        `tensor "${e.name}" has ${t.data_offsets[1] - t.data_offsets[0]} bytes, expected ${need}`,
      );
    }
    const at = (params.values.ptr >> 2) + e.offset;
    readTensor(bytes, dataStart, t, f32.subarray(at, at + e.size));
  }
  const model = new Transformer(core, srcVocab!, tgtVocab!, codec!);
  let optimizer: Adam | undefined;
  if (metadata.optimizer) {
    const o = parseJson<{ step: number; options: OptimizerOptions }>(metadata, "optimizer");
    const m = header["optimizer.exp_avg"], v = header["optimizer.exp_avg_sq"];
    if (!m || !v) fail("the optimizer state is incomplete (exp_avg or exp_avg_sq missing)");
    for (const [name, t] of [["optimizer.exp_avg", m], ["optimizer.exp_avg_sq", v]] as const) {
      if (
        t.dtype !== "F32" || t.shape[0] !== params.count ||
        t.data_offsets[1] - t.data_offsets[0] !== params.count * 4
      ) {
        fail(`tensor "${name}" does not match this model's parameter region`);
      }
    }
    const moments = params.moments();
    readTensor(bytes, dataStart, m, moments.m.view());
    readTensor(bytes, dataStart, v, moments.v.view());
    optimizer = new Adam(params, config.dModel, o.options);
    optimizer.step = o.step;
  }
  return { model, optimizer, metadata };
}

/**
 * Loads a model from safetensors bytes written by {@linkcode saveModel} (or converted
 * from PyTorch). Every tensor's name, shape and byte range is checked; a truncated,
 * corrupt or mismatched file raises a CheckpointError naming the first problem.
 *
 * @example
 * ```ts
 * import { CheckpointError, loadModel } from "@vamos/transformer";
 * import { rejects } from "node:assert/strict";
 * await rejects(loadModel(new Uint8Array([1, 2, 3])), CheckpointError);
 * ```
 */
export function loadModel(bytes: Uint8Array, opts: LoadOptions = {}): Promise<Transformer> {
  try {
    return Promise.resolve(loadCheckpoint(bytes, opts).model);
  } catch (e) {
    return Promise.reject(e);
  }
}
