/**
 * The safetensors file format, read strictly and written canonically: an 8-byte
 * little-endian header length, a JSON header (each tensor's dtype, shape and byte
 * range, plus `__metadata__`, a map of strings), then the tensor bytes. Reading follows
 * the format's rules (see: huggingface/safetensors, README "Format"): the header is
 * inside the file and at most 100 MB, starts with `{` and may end in spaces; keys are
 * unique; every byte range matches its dtype and shape; the ranges, in order, cover the
 * data section exactly, with no overlap, no hole and nothing after the last one.
 * What the tensors mean is not this file's business (see `checkpoint.ts`).
 * @module
 */
import { VamosError } from "../errors.ts";

/** A checkpoint that cannot be read: truncated, corrupt, or not for this kind of model. */
export class CheckpointError extends VamosError {}

/**
 * The largest header accepted, as in the reference implementation (100 MB).
 *
 * @example
 * ```ts
 * import { CheckpointError, loadModel, MAX_HEADER_BYTES } from "@vamos/transformer";
 * import { rejects } from "node:assert/strict";
 * const file = new Uint8Array(16);
 * new DataView(file.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
 * await rejects(loadModel(file), CheckpointError);
 * ```
 */
export const MAX_HEADER_BYTES = 100_000_000;

/** The element types this package reads (and, but for BF16, writes). */
export type Dtype = "F32" | "F16" | "BF16" | "I8" | "U8" | "U16";

const BYTES_PER_ELEMENT: Record<Dtype, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  I8: 1,
  U8: 1,
  U16: 2,
};

/** One tensor's entry in the header. */
export interface TensorInfo {
  /** Element type. */
  dtype: Dtype;
  /** Dimensions (empty for a scalar). */
  shape: number[];
  /** First byte in the data section. */
  begin: number;
  /** One past the last byte in the data section. */
  end: number;
}

/** A parsed, structurally valid safetensors file. */
export interface SafetensorsFile {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Tensors by name, in the order of their bytes. */
  tensors: Map<string, TensorInfo>;
  /** The `__metadata__` strings (empty when the header has none). */
  metadata: Record<string, string>;
  /** Offset of the data section in `bytes`. */
  dataStart: number;
}

function fail(msg: string): never {
  throw new CheckpointError(`Cannot load the checkpoint: ${msg}`);
}

// The first key that appears twice in one object of valid JSON text, if any:
// JSON.parse keeps the last silently, which would hide a second tensor entry.
function duplicateKey(text: string): string | undefined {
  const objects: (Set<string> | null)[] = []; // null for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = objects[objects.length - 1];
      if (top && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === "{") {
      objects.push(new Set());
      expectKey = true;
    } else if (ch === "[") {
      objects.push(null);
      expectKey = false;
    } else if (ch === "}" || ch === "]") {
      objects.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = objects[objects.length - 1] instanceof Set;
    }
  }
  return undefined;
}

/** True for a JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const isCount = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and validates a safetensors file; throws {@linkcode CheckpointError} naming the
 * first rule it breaks. Nothing proportional to the claimed sizes is allocated.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { header, n } = readHeader(bytes);
  const metadata = metadataOf(header);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: [string, TensorInfo][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name !== "__metadata__") entries.push([name, tensorInfo(name, info, dataLength)]);
  }
  entries.sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let at = 0;
  for (const [name, t] of entries) {
    if (t.begin !== at) {
      fail(
        t.begin < at
          ? `tensor "${name}" overlaps the one before it (bytes ${t.begin}..${t.end})`
          : `the data section has a hole before tensor "${name}" (bytes ${at}..${t.begin})`,
      );
    }
    at = t.end;
  }
  if (at !== dataLength) {
    fail(
      at < dataLength
        ? `the file has ${dataLength - at} bytes after the last tensor; it is corrupt`
        : `the tensors need ${at} bytes of data, the file has ${dataLength}; it is truncated`,
    );
  }
  return { bytes, tensors: new Map(entries), metadata, dataStart };
}

// The header's JSON object and its length in bytes, checked: the file's first 8 bytes,
// '{', UTF-8, valid JSON, no key twice.
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; n: number } {
  if (!(bytes instanceof Uint8Array)) fail("expected the file's bytes as a Uint8Array");
  if (bytes.length < 10) fail(`the file has ${bytes.length} bytes, too short to be safetensors`);
  // Every safetensors file starts with its header's length and then '{': anything else
  // (a text file, an image, another format) is not one, whatever its first 8 bytes claim.
  if (bytes[8] !== 0x7b) {
    fail("this is not a safetensors file (its header does not start with '{')");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = dv.getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER_BYTES)) {
    fail(`the header claims ${claimed} bytes, more than the ${MAX_HEADER_BYTES} allowed`);
  }
  const n = Number(claimed);
  if (n > bytes.length - 8) {
    fail(
      `the header claims ${n} bytes but the file has ${bytes.length - 8} after its length; ` +
        "the file is truncated or not safetensors",
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("the header is not UTF-8 text; the file is corrupt or not safetensors");
  }
  const json = text.replace(/ +$/, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    fail("the header is not valid JSON; the file is corrupt or its header length is wrong");
  }
  if (!isObject(parsed)) fail("the header is not a JSON object");
  const dup = duplicateKey(json);
  if (dup !== undefined) fail(`the header has the key "${dup}" twice`);
  return { header: parsed, n };
}

// The header's __metadata__, checked to be an object of strings.
function metadataOf(header: Record<string, unknown>): Record<string, string> {
  const metadata: Record<string, string> = {};
  const meta = header.__metadata__;
  if (meta !== undefined) {
    if (!isObject(meta)) fail("__metadata__ is not an object of strings");
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== "string") fail(`the metadata "${k}" is not a string`);
      metadata[k] = v;
    }
  }
  return metadata;
}

// One tensor's header entry, checked: exactly its dtype, shape and offsets, a dtype this
// package reads, and offsets that span the bytes its shape needs.
function tensorInfo(name: string, info: unknown, dataLength: number): TensorInfo {
  if (name === "") fail("a tensor has an empty name");
  if (!isObject(info)) fail(`tensor "${name}" has a malformed entry`);
  const keys = Object.keys(info).sort().join(",");
  if (keys !== "data_offsets,dtype,shape") {
    fail(`tensor "${name}" must have exactly dtype, shape and data_offsets, has ${keys}`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== "string" || !Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
    fail(
      `tensor "${name}" has dtype ${
        JSON.stringify(dtype)
      }; this package reads F32, F16, BF16, I8, U8, U16`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of sizes`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) ||
    offsets[0] > offsets[1]
  ) {
    fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
  }
  const [begin, end] = offsets as number[];
  const width = BYTES_PER_ELEMENT[dtype as Dtype];
  // Multiply up to the byte length, stopping as soon as it exceeds the data section.
  let size = width;
  for (const s of shape as number[]) {
    size *= s;
    if (size > dataLength) break;
  }
  if (size !== end - begin) {
    fail(
      `tensor "${name}" (${dtype} [${(shape as number[]).join(", ")}]) needs ` +
        `${size > dataLength ? "more than the whole data section" : `${size} bytes`}, ` +
        `its data_offsets give ${end - begin}`,
    );
  }
  return { dtype: dtype as Dtype, shape: shape as number[], begin, end };
}

let halfTable: Float32Array | undefined;

// All 65536 half-precision values, decoded once: converting a 16-bit checkpoint is
// then one lookup per weight.
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
      halfTable[h] = e === 0
        ? s * f * 2 ** -24
        : e === 31
        ? (f ? NaN : s * Infinity)
        : s * (1 + f / 1024) * 2 ** (e - 15);
    }
  }
  return halfTable;
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Copies a tensor's values (F32, F16 or BF16) into `dst` as f32. An I8 tensor is read
 * with its per-row scales: value = q · scale[row] (rows of `dst.length / scale.length`).
 */
export function readTensor(
  file: SafetensorsFile,
  name: string,
  dst: Float32Array,
  scale?: Float32Array,
): void {
  const t = file.tensors.get(name);
  if (!t) fail(`tensor "${name}" is missing`);
  if (t.dtype === "U8" || t.dtype === "U16") fail(`tensor "${name}" is ${t.dtype}, not weights`);
  if (t.dtype === "I8") {
    if (!scale || dst.length % scale.length !== 0) {
      fail(`tensor "${name}" is I8 without its scales`);
    }
    const q = new Int8Array(
      file.bytes.buffer,
      file.bytes.byteOffset + file.dataStart + t.begin,
      dst.length,
    );
    if (q.length !== t.end - t.begin) {
      fail(`tensor "${name}" has ${t.end - t.begin} values, expected ${dst.length}`);
    }
    const cols = dst.length / scale.length;
    for (let r = 0; r < scale.length; r++) {
      const s = scale[r];
      for (let c = 0, i = r * cols; c < cols; c++, i++) dst[i] = q[i] * s;
    }
    return;
  }
  const n = (t.end - t.begin) / BYTES_PER_ELEMENT[t.dtype];
  if (n !== dst.length) fail(`tensor "${name}" has ${n} values, expected ${dst.length}`);
  const at = file.bytes.byteOffset + file.dataStart + t.begin;
  const dv = new DataView(file.bytes.buffer, at, t.end - t.begin);
  if (t.dtype === "F32") {
    if (isLittleEndian && at % 4 === 0) dst.set(new Float32Array(file.bytes.buffer, at, n));
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

/**
 * A U8 or U16 tensor's values, copied (their range is the caller's to check); fails for
 * any other dtype.
 */
export function readIntegers(file: SafetensorsFile, name: string): Uint8Array | Uint16Array {
  const t = file.tensors.get(name);
  if (!t) fail(`tensor "${name}" is missing`);
  const at = file.bytes.byteOffset + file.dataStart + t.begin, n = t.end - t.begin;
  if (t.dtype === "U8") return new Uint8Array(file.bytes.buffer, at, n).slice();
  if (t.dtype !== "U16") fail(`tensor "${name}" is ${t.dtype}; expected U8 or U16`);
  const dv = new DataView(file.bytes.buffer, at, n), out = new Uint16Array(n / 2);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint16(2 * i, true);
  return out;
}

function integerDtype(data: TensorToWrite["data"]): "I8" | "U8" | "U16" | undefined {
  if (data instanceof Int8Array) return "I8";
  if (data instanceof Uint8Array) return "U8";
  if (data instanceof Uint16Array) return "U16";
  return undefined;
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

/**
 * A tensor to write: f32 values stored as `dtype` (F32 unless said), or integers (I8, U8,
 * U16 by the array's type).
 */
export interface TensorToWrite {
  /** Name in the header. */
  name: string;
  /** Dimensions; their product is the number of values. */
  shape: number[];
  /** The values (an Int8Array for I8, Uint8Array for U8, Uint16Array for U16). */
  data: Float32Array | Int8Array | Uint8Array | Uint16Array;
  /** Storage type (default F32; I8 for Int8Array data). */
  dtype?: "F32" | "F16" | "I8";
}

/**
 * Serializes tensors and metadata as a safetensors file: tensors in the given order,
 * back to back, the header padded with spaces so the data starts 8-byte aligned.
 */
export function writeSafetensors(
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new VamosError(`tensor "${t.name}" has ${t.data.length} values for shape [${t.shape}]`);
    }
    const dtype = integerDtype(t.data) ?? t.dtype ?? "F32";
    const n = t.data.length * BYTES_PER_ELEMENT[dtype];
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const jsonBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (jsonBytes.length % 8)) % 8;
  const headerLen = jsonBytes.length + pad;
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLen), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const t of tensors) {
    if (t.data instanceof Int8Array || t.data instanceof Uint8Array) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length), at);
      at += t.data.length;
    } else if (t.data instanceof Uint16Array) {
      for (let i = 0; i < t.data.length; i++) dv.setUint16(at + 2 * i, t.data[i], true);
      at += 2 * t.data.length;
    } else if (t.dtype === "F16") {
      for (let i = 0; i < t.data.length; i++) {
        dv.setUint16(at + 2 * i, floatToHalf(t.data[i]), true);
      }
      at += 2 * t.data.length;
    } else if (isLittleEndian) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
      at += t.data.byteLength;
    } else {
      for (let i = 0; i < t.data.length; i++) dv.setFloat32(at + 4 * i, t.data[i], true);
      at += t.data.byteLength;
    }
  }
  return out;
}
