import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { Runtime } from "../../src/runtime/runtime.ts";
import { attentionDecodeInto, checkDecodeKeys } from "../../src/kernels/attention_decode.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertClose, assertThrows, randomArray, rng } from "../_helpers.ts";
import { refAttentionDecode } from "../reference.ts";

// Dot products over dHead terms, a softmax and a weighted sum over the keys, in f32.
const TOL = { rtol: 1e-5, atol: 2e-6 };

interface Case {
  rows: number;
  heads: number;
  dHead: number;
  kvRows: number;
  stride: number; // 0: one list shared by every row
  maxKeys: number;
  scale: number;
}

// dHead around the kernel's passes (1 to 8 vectors of columns, then single columns) and
// its scores four keys at a time; rows with no keys, one key and many; lists shared
// (stride 0) or per row, with repeats and any order.
const CASES: Case[] = [
  { rows: 1, heads: 1, dHead: 1, kvRows: 1, stride: 1, maxKeys: 1, scale: 1 },
  { rows: 2, heads: 1, dHead: 2, kvRows: 5, stride: 3, maxKeys: 3, scale: 1 },
  { rows: 3, heads: 2, dHead: 3, kvRows: 7, stride: 0, maxKeys: 6, scale: 0.5 },
  { rows: 5, heads: 3, dHead: 5, kvRows: 40, stride: 9, maxKeys: 9, scale: 0.4 },
  { rows: 4, heads: 2, dHead: 8, kvRows: 33, stride: 17, maxKeys: 17, scale: 0.35 },
  { rows: 7, heads: 1, dHead: 15, kvRows: 20, stride: 20, maxKeys: 20, scale: 0.26 },
  { rows: 3, heads: 2, dHead: 16, kvRows: 64, stride: 0, maxKeys: 33, scale: 0.25 },
  { rows: 9, heads: 4, dHead: 17, kvRows: 90, stride: 31, maxKeys: 31, scale: 0.24 },
  { rows: 6, heads: 4, dHead: 56, kvRows: 120, stride: 40, maxKeys: 40, scale: 0.13 },
  { rows: 2, heads: 1, dHead: 33, kvRows: 300, stride: 257, maxKeys: 257, scale: 0.17 },
  { rows: 3, heads: 2, dHead: 20, kvRows: 30, stride: 11, maxKeys: 11, scale: 0.2 },
  { rows: 2, heads: 3, dHead: 28, kvRows: 25, stride: 0, maxKeys: 7, scale: 0.19 },
  { rows: 5, heads: 1, dHead: 32, kvRows: 50, stride: 13, maxKeys: 13, scale: 0.18 },
  { rows: 2, heads: 2, dHead: 44, kvRows: 40, stride: 5, maxKeys: 5, scale: 0.15 },
  { rows: 3, heads: 1, dHead: 65, kvRows: 70, stride: 8, maxKeys: 8, scale: 0.12 },
];

function run(rt: Runtime, c: Case, seed: number) {
  const d = c.heads * c.dHead, rand = rng(seed);
  const q = randomArray(c.rows * d, seed, 2), kv = randomArray(c.kvRows * 2 * d, seed + 1, 2);
  const keyLens = Array.from(
    { length: c.rows },
    (_, r) => r === 0 && c.rows > 2 ? 0 : 1 + Math.floor(rand() * c.maxKeys),
  );
  if (c.rows > 1) keyLens[c.rows - 1] = c.maxKeys;
  const tableLen = c.stride === 0 ? c.maxKeys : c.rows * c.stride;
  const span = c.stride === 0 ? c.kvRows - c.rows : c.kvRows;
  const base = Array.from({ length: c.rows }, (_, r) => (c.stride === 0 ? r : 0));
  const table = Array.from({ length: tableLen }, () => Math.floor(rand() * span));
  const tq = rt.tensor(c.rows, d + 3).colSlice(1, d + 1).set(q);
  const tkv = rt.tensor(c.kvRows, 2 * d).set(kv);
  const out = rt.tensor(c.rows, d + 2).colSlice(0, d);
  const keys = {
    kv: tkv,
    base: rt.ints(c.rows).set(base),
    table: rt.ints(tableLen).set(table),
    stride: c.stride,
    keyLens: rt.ints(c.rows).set(keyLens),
  };
  attentionDecodeInto(tq, keys, out, c.heads, c.scale);
  const ref = refAttentionDecode(q, kv, { ...c, base, table, keyLens });
  return { out: out.toArray(), ref, keyLens, q, keys, tq };
}

for (const variant of ["simd128", "relaxed-simd"] as const) {
  Deno.test(`attentionDecode (${variant}) matches the reference on awkward shapes`, () => {
    const rt = new Runtime({ variant });
    CASES.forEach((c, i) => {
      const r = run(rt, c, 10 + i);
      assertClose(r.out, r.ref, { ...TOL, label: JSON.stringify(c) });
      const d = c.heads * c.dHead;
      r.keyLens.forEach((n, row) => {
        if (n === 0) {
          assertEquals(Array.from(r.out.slice(row * d, (row + 1) * d)), new Array(d).fill(0));
        }
      });
    });
  });
}

Deno.test("attentionDecode: a row's bits do not depend on the other rows or the thread count", async () => {
  const one = new Runtime({ threads: 1 }), two = new Runtime({ threads: 2 });
  await two.ready();
  try {
    const c: Case = {
      rows: 64,
      heads: 4,
      dHead: 56,
      kvRows: 600,
      stride: 40,
      maxKeys: 40,
      scale: 0.13,
    };
    const a = run(one, c, 5), b = run(two, c, 5);
    assertEquals(a.out, b.out);
    // Whether the worker takes a job depends on timing (the caller does them all when it
    // wakes late): call again, checking the bits each time, until it has taken part.
    const again = two.tensor(c.rows, c.heads * c.dHead);
    for (let i = 0; i < 50 && two.workerJobs === 0; i++) {
      attentionDecodeInto(b.tq, b.keys, again, c.heads, c.scale);
      assertEquals(again.toArray(), a.out);
    }
    ok(two.workerJobs > 0, "no job ran on the worker in 51 calls");
    // Row 7 alone: the same bits as in the batch.
    const d = c.heads * c.dHead, rt = one, r = 7;
    const keys = a.keys, i32 = rt.i32;
    const alone = {
      kv: keys.kv,
      base: rt.ints(1).set([i32[(keys.base.ptr >>> 2) + r]]),
      table: rt.ints(c.stride).set(
        i32.slice(
          (keys.table.ptr >>> 2) + r * c.stride,
          (keys.table.ptr >>> 2) + (r + 1) * c.stride,
        ),
      ),
      stride: c.stride,
      keyLens: rt.ints(1).set([a.keyLens[r]]),
    };
    const out = rt.tensor(1, d);
    attentionDecodeInto(a.tq.rowSlice(r, r + 1), alone, out, c.heads, c.scale);
    assertEquals(out.toArray(), a.out.slice(r * d, (r + 1) * d));
  } finally {
    two.close();
  }
});

Deno.test("attentionDecode refuses keys outside kv, bad counts and shapes", () => {
  const rt = new Runtime();
  const q = rt.tensor(2, 8), out = rt.tensor(2, 8), kv = rt.tensor(5, 16);
  const keys = (table: number[], lens: number[], base = [0, 0], stride = 3) => ({
    kv,
    base: rt.ints(2).set(base),
    table: rt.ints(table.length).set(table),
    stride,
    keyLens: rt.ints(2).set(lens),
  });
  attentionDecodeInto(q, keys([0, 1, 2, 4, 3, 0], [3, 3]), out, 2, 0.5);
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 1, 5, 0, 0, 0], [3, 1]), out, 2, 1),
    ShapeError,
    /kv row 5/,
  );
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 1, 2, 0, 0, 0], [3, 1], [0, -1]), out, 2, 1),
    ShapeError,
    /kv row -1/,
  );
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 1, 2, 0, 0, 0], [3, 4]), out, 2, 1),
    ShapeError,
    /4 keys/,
  );
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 1, 2, 0, 0, 0], [-1, 1]), out, 2, 1),
    ShapeError,
    /-1 keys/,
  );
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 0, 0, 0, 0, 0], [1, 1]), out, 3, 1),
    ShapeError,
    /multiple of 3/,
  );
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 0, 0, 0, 0, 0], [1, 1]), rt.tensor(2, 7), 2, 1),
    ShapeError,
    /out/,
  );
  assertThrows(
    () => attentionDecodeInto(q, { ...keys([0], [1, 1]), kv: rt.tensor(5, 8) }, out, 2, 1),
    ShapeError,
    /16/,
  );
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 0, 0, 0, 0, 0], [1, 1]), out, 2, NaN),
    ShapeError,
    /scale/,
  );
  // Indices checked once for several calls: checkDecodeKeys refuses what the call would, and
  // its result vouches only for the keys and rows it checked.
  assertThrows(() => checkDecodeKeys(keys([0, 1, 5, 0, 0, 0], [3, 1]), 2), ShapeError, /kv row 5/);
  const good = keys([0, 1, 2, 4, 3, 0], [3, 3]), checked = checkDecodeKeys(good, 2);
  assertEquals(checked.maxKeys, 3);
  attentionDecodeInto(q, good, out, 2, 0.5, checked);
  assertThrows(
    () => attentionDecodeInto(q, keys([0, 1, 5, 0, 0, 0], [3, 1]), out, 2, 1, checked),
    ShapeError,
    /kv row 5/,
  );
  // Checked for fewer rows than the call has: the call checks the rest.
  const second = keys([0, 1, 2, 0, 1, 5], [3, 3]);
  assertThrows(
    () => attentionDecodeInto(q, second, out, 2, 1, checkDecodeKeys(second, 1)),
    ShapeError,
    /kv row 5/,
  );
});
