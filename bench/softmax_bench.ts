// deno bench: row softmax, wasm kernel beside a naive TypeScript loop.
import { Runtime } from "../src/runtime/runtime.ts";
import { softmaxInto } from "../src/kernels/softmax.ts";
import { filled, naiveSoftmax } from "./_naive.ts";

const rt = new Runtime();
for (const [rows, cols] of [[4096, 128], [4096, 1024]]) {
  const group = `softmax ${rows}×${cols}`;
  const x = rt.tensor(rows, cols).set(filled(rows * cols)), y = rt.tensor(rows, cols);
  Deno.bench(`wasm ${group}`, { group, baseline: true }, () => softmaxInto(x, y));
  const jx = filled(rows * cols), jy = new Float32Array(rows * cols);
  Deno.bench(`naive TS ${group}`, { group }, () => naiveSoftmax(jx, jy, rows, cols));
}
