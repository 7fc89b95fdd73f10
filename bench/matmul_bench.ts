// deno bench: matmul, wasm kernel beside a naive TypeScript loop, per shape.
import { Runtime } from "../src/runtime/runtime.ts";
import { matmulInto } from "../src/kernels/matmul.ts";
import { filled, naiveMatmul } from "./_naive.ts";

const rt = new Runtime();
for (const [m, k, n] of [[64, 64, 64], [128, 128, 128], [256, 256, 256], [512, 512, 512]]) {
  const group = `matmul ${m}×${k}×${n} (${(2 * m * k * n / 1e6).toFixed(1)} MFLOP)`;
  const a = rt.tensor(m, k).set(filled(m * k)), b = rt.tensor(k, n).set(filled(k * n));
  const c = rt.tensor(m, n);
  Deno.bench(`wasm ${m}×${k}×${n}`, { group, baseline: true }, () => matmulInto(a, b, c));
  Deno.bench(`wasm Bᵀ ${m}×${k}×${n}`, { group }, () => matmulInto(a, b, c, { transB: true }));
  if (m <= 256) {
    const ja = filled(m * k), jb = filled(k * n), jc = new Float32Array(m * n);
    Deno.bench(`naive TS ${m}×${k}×${n}`, { group }, () => naiveMatmul(ja, jb, jc, m, k, n));
  }
}
