import { Runtime } from "../../src/runtime/runtime.ts";
import { layerNormBackwardInto, layerNormInto } from "../../src/kernels/layernorm.ts";
import { ShapeError } from "../../src/errors.ts";
import {
  assertClose,
  assertThrows,
  AWKWARD,
  dot,
  numericGradient,
  randomArray,
} from "../_helpers.ts";
import { refLayerNorm } from "../reference.ts";

// Mean and variance are f32 sums over C terms; normalized outputs are O(1): 1e-5 relative
// plus 1e-5 absolute (for outputs near zero).
const TOL = { rtol: 1e-5, atol: 1e-5 };

function setup(rt: Runtime, rows: number, cols: number, seed: number) {
  const x = randomArray(rows * cols, seed, 3);
  for (let i = 0; i < x.length; i++) x[i] += 2; // a non-zero mean
  const gamma = randomArray(cols, seed + 1, 1.5);
  const beta = randomArray(cols, seed + 2);
  const tx = rt.tensor(rows, cols).set(x);
  const y = rt.tensor(rows, cols);
  const tg = rt.tensor(1, cols).set(gamma), tb = rt.tensor(1, cols).set(beta);
  const mean = rt.tensor(rows, 1), rstd = rt.tensor(rows, 1);
  layerNormInto(tx, y, tg, tb, mean, rstd, 1e-5);
  return { x, gamma, beta, tx, y, tg, tb, mean, rstd };
}

Deno.test("layerNorm forward matches the reference on awkward widths", () => {
  const rt = new Runtime();
  for (const cols of [...AWKWARD, 512]) {
    const rows = 3;
    const s = setup(rt, rows, cols, cols);
    assertClose(s.y.toArray(), refLayerNorm(s.x, rows, cols, s.gamma, s.beta, 1e-5), {
      ...TOL,
      label: `layerNorm ${rows}×${cols}`,
      cols,
    });
  }
});

Deno.test("layerNorm backward matches finite differences (dx, dgamma, dbeta)", () => {
  const rt = new Runtime();
  for (const cols of [1, 2, 3, 4, 5, 8, 17]) {
    const rows = 3;
    const s = setup(rt, rows, cols, 50 + cols);
    const w = randomArray(rows * cols, 60 + cols);
    const dy = rt.tensor(rows, cols).set(w);
    const dx = rt.tensor(rows, cols).set(new Float32Array(rows * cols).fill(0.25));
    const dg = rt.tensor(1, cols).set(new Float32Array(cols).fill(1));
    const db = rt.tensor(1, cols).set(new Float32Array(cols).fill(-1));
    layerNormBackwardInto(dy, s.tx, s.tg, s.mean, s.rstd, dx, dg, db, true);
    const f = (x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) =>
      dot(w, refLayerNorm(x, rows, cols, g, b, 1e-5));
    const tol = { rtol: 2e-3, atol: 2e-4 };
    const ndx = numericGradient((x) => f(x, s.gamma, s.beta), s.x).map((v) => v + 0.25);
    const ndg = numericGradient((g) => f(s.x, g, s.beta), s.gamma).map((v) => v + 1);
    const ndb = numericGradient((b) => f(s.x, s.gamma, b), s.beta).map((v) => v - 1);
    assertClose(dx.toArray(), ndx, { ...tol, label: `dx ${cols} (accumulated)` });
    assertClose(dg.toArray(), ndg, { ...tol, label: `dgamma ${cols} (accumulated)` });
    assertClose(db.toArray(), ndb, { ...tol, label: `dbeta ${cols} (accumulated)` });
  }
});

Deno.test("layerNorm rejects a gamma of the wrong width", () => {
  const rt = new Runtime();
  const x = rt.tensor(2, 4);
  assertThrows(
    () =>
      layerNormInto(x, x, rt.tensor(1, 3), rt.tensor(1, 4), rt.tensor(2, 1), rt.tensor(2, 1), 1e-5),
    ShapeError,
    "layerNorm: gamma has shape [1, 3], expected [1, 4]",
  );
});
