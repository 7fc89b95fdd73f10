import { Runtime } from "../../src/runtime/runtime.ts";
import {
  embeddingBackwardInto,
  embeddingInto,
  positionalEncodingInto,
} from "../../src/kernels/embedding.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertClose, assertThrows, randomArray } from "../_helpers.ts";
import { refEmbedding, refPositionalEncoding } from "../reference.ts";

Deno.test("positional encoding is the paper's sinusoid (and sin/cos of pos for d = 2)", () => {
  const rt = new Runtime();
  for (const [len, dim] of [[4, 2], [50, 7], [100, 128]]) {
    const pe = rt.tensor(len, dim);
    positionalEncodingInto(pe);
    // f64 computation rounded once to f32.
    assertClose(pe.toArray(), refPositionalEncoding(len, dim), {
      rtol: 1e-7,
      atol: 1e-7,
      cols: dim,
    });
  }
  const pe = rt.tensor(2, 2);
  positionalEncodingInto(pe);
  assertClose(pe.toArray(), [0, 1, Math.sin(1), Math.cos(1)], { rtol: 1e-7 });
});

Deno.test("embedding gathers, scales, adds positions; backward scatter-adds", () => {
  const rt = new Runtime();
  for (const dim of [1, 2, 3, 4, 5, 16, 33]) {
    const vocab = 11, seqLen = 5, batch = 3;
    const table = randomArray(vocab * dim, dim);
    const ids = Array.from({ length: batch * seqLen }, (_, t) => (t * 7 + dim) % vocab);
    const tt = rt.tensor(vocab, dim).set(table);
    const pe = rt.tensor(12, dim);
    positionalEncodingInto(pe);
    const peValues = pe.toArray();
    const tids = rt.ints(ids.length).set(ids);
    const out = rt.tensor(ids.length, dim);
    const scale = Math.sqrt(dim);
    embeddingInto(tt, tids, out, { scale, pe, seqLen, posOffset: 2 });
    assertClose(out.toArray(), refEmbedding(table, ids, dim, scale, peValues, seqLen, 2), {
      rtol: 1e-6,
      atol: 1e-6,
      label: `embedding dim ${dim}`,
    });
    const dout = randomArray(ids.length * dim, dim + 100);
    const dtable = rt.tensor(vocab, dim);
    embeddingBackwardInto(rt.tensor(ids.length, dim).set(dout), tids, dtable, scale);
    const expected = new Float64Array(vocab * dim);
    ids.forEach((id, t) => {
      for (let c = 0; c < dim; c++) expected[id * dim + c] += dout[t * dim + c] * scale;
    });
    assertClose(dtable.toArray(), expected, { rtol: 1e-5, atol: 1e-6, label: `dtable ${dim}` });
  }
});

Deno.test("embedding rejects ids outside the vocabulary and positions past the table", () => {
  const rt = new Runtime();
  const table = rt.tensor(4, 2), out = rt.tensor(2, 2);
  assertThrows(
    () => embeddingInto(table, rt.ints(2).set([1, 4]), out, { scale: 1, seqLen: 2 }),
    ShapeError,
    "token id 4 at position 1 is outside the vocabulary of 4",
  );
  assertThrows(
    () =>
      embeddingInto(table, rt.ints(2).set([1, 2]), out, {
        scale: 1,
        seqLen: 2,
        pe: rt.tensor(1, 2),
      }),
    /position 1 is past the 1 positions encoded/,
  );
});
