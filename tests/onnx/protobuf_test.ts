// The protobuf writer against hand-encoded bytes (protobuf's encoding guide): varints,
// negative ints as ten bytes, fixed32 floats, length-delimited and packed fields.
import { deepEqual, equal } from "node:assert/strict";
import { ProtoWriter } from "../../src/onnx/protobuf.ts";

Deno.test("fields encode as protobuf does", () => {
  deepEqual([...new ProtoWriter().int(1, 150).finish()], [0x08, 0x96, 0x01]);
  deepEqual([...new ProtoWriter().int(2, 0).finish()], [0x10, 0x00]);
  // A negative int64 takes ten bytes of two's complement.
  deepEqual([...new ProtoWriter().int(1, -1).finish()], [0x08, ...Array(9).fill(0xff), 0x01]);
  deepEqual([...new ProtoWriter().int(1, 2n ** 40n).finish()], [
    0x08,
    0x80,
    0x80,
    0x80,
    0x80,
    0x80,
    0x20,
  ]);
  deepEqual([...new ProtoWriter().float(3, 1).finish()], [0x1d, 0x00, 0x00, 0x80, 0x3f]);
  deepEqual([...new ProtoWriter().bytes(2, "testing").finish()], [
    0x12,
    0x07,
    ..."testing".split("").map((c) => c.charCodeAt(0)),
  ]);
  deepEqual([...new ProtoWriter().packedInts(4, [3, 270, 86942]).finish()], [
    0x22,
    0x06,
    0x03,
    0x8e,
    0x02,
    0x9e,
    0xa7,
    0x05,
  ]);
  deepEqual([...new ProtoWriter().packedFloats(5, [1, 2]).finish()], [
    0x2a,
    0x08,
    0x00,
    0x00,
    0x80,
    0x3f,
    0x00,
    0x00,
    0x00,
    0x40,
  ]);
});

Deno.test("a nested message is a length-delimited field; size counts what was written", () => {
  const inner = new ProtoWriter().int(1, 150);
  equal(inner.size, 3);
  deepEqual([...new ProtoWriter().bytes(3, inner).finish()], [0x1a, 0x03, 0x08, 0x96, 0x01]);
  // Strings are UTF-8.
  deepEqual([...new ProtoWriter().bytes(1, "ñ").finish()], [0x0a, 0x02, 0xc3, 0xb1]);
});
