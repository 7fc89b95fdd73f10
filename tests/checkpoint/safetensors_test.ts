// The safetensors format: what writeSafetensors writes parses back (F32, F16, I8, U8, U16,
// metadata), the data starts 8-byte aligned, and each broken rule is a CheckpointError.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  CheckpointError,
  parseSafetensors,
  readIntegers,
  readTensor,
  writeSafetensors,
} from "../../src/checkpoint/safetensors.ts";

const bytes = writeSafetensors([
  { name: "w", shape: [2, 2], data: new Float32Array([1, -2, 0.5, 3]) },
  { name: "h", shape: [2], data: new Float32Array([0.25, -1]), dtype: "F16" },
  { name: "u8", shape: [3], data: new Uint8Array([0, 7, 255]) },
  { name: "u16", shape: [2], data: new Uint16Array([1, 65535]) },
], { format: "test", note: "ñ" });

Deno.test("written tensors and metadata read back, aligned", () => {
  const f = parseSafetensors(bytes);
  equal(f.dataStart % 8, 0);
  deepEqual(f.metadata, { format: "test", note: "ñ" });
  deepEqual([...f.tensors.keys()], ["w", "h", "u8", "u16"]);
  const w = new Float32Array(4), h = new Float32Array(2);
  readTensor(f, "w", w);
  readTensor(f, "h", h);
  deepEqual([...w], [1, -2, 0.5, 3]);
  deepEqual([...h], [0.25, -1]);
  deepEqual([...readIntegers(f, "u8")], [0, 7, 255]);
  deepEqual([...readIntegers(f, "u16")], [1, 65535]);
  throws(() => readIntegers(f, "w"), /F32; expected U8 or U16/);
});

Deno.test("each broken rule is one CheckpointError naming it", () => {
  const header = (h: unknown, data = 0) => {
    const text = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + text.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    return out;
  };
  const refuse = (b: Uint8Array, message: RegExp) =>
    throws(
      () => parseSafetensors(b),
      (e) => e instanceof CheckpointError && message.test(e.message),
    );
  refuse(new Uint8Array(5), /too short/);
  refuse(new TextEncoder().encode("hello world, not a file"), /not a safetensors file/);
  refuse(bytes.slice(0, bytes.length - 1), /truncated/);
  refuse(header({ t: { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, 8), /dtype "F64"/);
  refuse(header({ t: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 8), /needs 8 bytes/);
  refuse(
    header({ t: { dtype: "F32", shape: [9], data_offsets: [0, 4] } }, 4),
    /more than the whole data/,
  );
  refuse(
    header({ t: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 8),
    /bytes after the last/,
  );
  refuse(header({ __metadata__: { a: 1 } }), /metadata "a" is not a string/);
  const twice = new TextEncoder().encode('{"a":{},"a":{}}');
  const dup = new Uint8Array(8 + twice.length);
  new DataView(dup.buffer).setBigUint64(0, BigInt(twice.length), true);
  dup.set(twice, 8);
  refuse(dup, /key "a" twice/);
  ok(true);
});
