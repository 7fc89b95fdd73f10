// The Float32Array API (kernels on plain arrays, the runtime managed inside) against the
// plain-TypeScript references, and its errors on zero-size and mismatched inputs.
import { attention, layerNorm, matmul, softmax } from "../../mod.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertClose, assertThrows, randomArray } from "../_helpers.ts";
import { refAttention, refLayerNorm, refMatmul, refSoftmax } from "../reference.ts";

Deno.test("Float32Array API: matmul, softmax, attention, layerNorm", () => {
  const a = randomArray(5 * 7, 1), b = randomArray(7 * 3, 2), bias = randomArray(3, 3);
  assertClose(matmul(a, b, 5, 7, 3, { bias }), refMatmul(a, b, 5, 7, 3, { bias }), {
    rtol: 1e-5,
    atol: 1e-6,
  });
  assertClose(
    matmul(b, a, 3, 7, 5, { transA: true, transB: true }),
    refMatmul(b, a, 3, 7, 5, { transA: true, transB: true }),
    { rtol: 1e-5, atol: 1e-6 },
  );
  const x = randomArray(4 * 9, 4, 3);
  assertClose(softmax(x, 4, 9), refSoftmax(x, 4, 9), { rtol: 2e-6, atol: 1e-9 });
  const q = randomArray(2 * 6 * 8, 5), k = randomArray(2 * 6 * 8, 6), v = randomArray(2 * 6 * 8, 7);
  const shape = {
    batch: 2,
    heads: 2,
    seqQ: 6,
    seqK: 6,
    dHead: 4,
    causal: true,
    keyLengths: [6, 4],
  };
  const r = attention(q, k, v, shape);
  const ref = refAttention(q, k, v, { ...shape, keyLens: [6, 4], scale: 0.5 });
  assertClose(r.output, ref.out, { rtol: 1e-5, atol: 2e-6 });
  assertClose(r.weights, ref.probs, { rtol: 1e-5, atol: 2e-6 });
  const g = randomArray(9, 8), be = randomArray(9, 9);
  assertClose(layerNorm(x, 4, 9, g, be), refLayerNorm(x, 4, 9, g, be, 1e-5), {
    rtol: 1e-5,
    atol: 1e-5,
  });
});

Deno.test("Float32Array API: zero-size and mismatched inputs give clear errors", () => {
  assertThrows(
    () => matmul(new Float32Array(0), new Float32Array(0), 0, 1, 1),
    ShapeError,
    "m must be a positive integer, got 0",
  );
  assertThrows(
    () => matmul(new Float32Array(6), new Float32Array(5), 2, 3, 2),
    "matmul: b has 5 elements, expected 6",
  );
  assertThrows(() => softmax(new Float32Array(5), 2, 3), "softmax: x has 5 elements, expected 6");
  assertThrows(
    () =>
      attention(new Float32Array(8), new Float32Array(8), new Float32Array(8), {
        heads: 2,
        seqQ: 2,
        seqK: 2,
        dHead: 2,
        keyLengths: [1, 2],
      }),
    "attention: keyLengths has 2 elements, expected 1",
  );
  assertThrows(
    () => matmul(new Float32Array(1), new Float32Array(1), 1.5, 1, 1),
    /m must be a positive integer, got 1.5/,
  );
});
