import { Runtime } from "../../src/runtime/runtime.ts";
import { softmaxBackwardInto, softmaxInto } from "../../src/kernels/softmax.ts";
import { ShapeError } from "../../src/errors.ts";
import {
  assertClose,
  assertThrows,
  AWKWARD,
  dot,
  numericGradient,
  randomArray,
} from "../_helpers.ts";
import { refSoftmax } from "../reference.ts";

// The SIMD exp has relative error < 1e-7 and the sum adds f32 rounding over the row:
// 2e-6 relative plus 1e-9 absolute (for the smallest probabilities) is ample.
const TOL = { rtol: 2e-6, atol: 1e-9 };

Deno.test("softmax matches the reference on awkward row lengths", () => {
  const rt = new Runtime();
  for (const cols of [...AWKWARD, 1000, 1031]) {
    for (const rows of [1, 3]) {
      const x = randomArray(rows * cols, cols * 7 + rows, 8);
      const t = rt.tensor(rows, cols).set(x);
      const y = rt.tensor(rows, cols);
      softmaxInto(t, y);
      assertClose(y.toArray(), refSoftmax(x, rows, cols), {
        ...TOL,
        label: `softmax ${rows}×${cols}`,
        cols,
      });
    }
  }
});

Deno.test("softmax edge cases: ±1e4, equal rows, masked and fully masked rows", () => {
  const rt = new Runtime();
  const cases: number[][] = [
    [1e4, -1e4, 0, 1e4, 5, -5, 1e4],
    [3, 3, 3, 3, 3],
    [-1e4, -1e4, -1e4 + 1],
    [1, -Infinity, 2, -Infinity, -Infinity, 0, 0, 1, -Infinity],
    [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
  ];
  for (const row of cases) {
    const t = rt.tensor(1, row.length).set(row);
    softmaxInto(t, t); // in place
    const y = t.toArray();
    assertClose(y, refSoftmax(row, 1, row.length), { ...TOL, label: `softmax ${row}` });
    for (const v of y) if (!Number.isFinite(v)) throw new Error(`non-finite output for ${row}`);
  }
});

Deno.test("softmax backward matches finite differences", () => {
  const rt = new Runtime();
  for (const cols of [1, 3, 4, 7, 17, 64]) {
    const rows = 2;
    const x = randomArray(rows * cols, cols, 3);
    const w = randomArray(rows * cols, cols + 1);
    const tx = rt.tensor(rows, cols).set(x);
    const y = rt.tensor(rows, cols);
    softmaxInto(tx, y);
    const dy = rt.tensor(rows, cols).set(w);
    const dx = rt.tensor(rows, cols);
    softmaxBackwardInto(y, dy, dx);
    const numeric = numericGradient((xs) => dot(w, refSoftmax(xs, rows, cols)), x);
    assertClose(dx.toArray(), numeric, { rtol: 1e-4, atol: 1e-6, label: `dsoftmax ${cols}` });
  }
});

Deno.test("softmax rejects mismatched shapes", () => {
  const rt = new Runtime();
  assertThrows(
    () => softmaxInto(rt.tensor(2, 3), rt.tensor(3, 2)),
    ShapeError,
    "y has shape [3, 2]",
  );
});

Deno.test("softmax: a row holding NaN is NaN, wherever the NaN is; other rows unaffected", () => {
  const rt = new Runtime();
  for (const cols of [...AWKWARD, 1000]) {
    for (const at of [0, cols >> 1, cols - 1]) {
      const x = randomArray(2 * cols, cols + at, 4);
      x[at] = NaN; // row 0 only
      const t = rt.tensor(2, cols).set(x);
      const y = rt.tensor(2, cols);
      softmaxInto(t, y);
      const out = y.toArray();
      const expected = refSoftmax(x, 2, cols);
      for (let c = 0; c < cols; c++) {
        if (!Number.isNaN(out[c])) {
          throw new Error(`cols ${cols}, NaN at ${at}: y[${c}] = ${out[c]}`);
        }
      }
      assertClose(out.subarray(cols), expected.subarray(cols), {
        ...TOL,
        label: `row 1 of ${cols}`,
      });
    }
  }
});
