// deno bench: the smaller kernels of a Transformer layer on [640, 128] activations
// (batch 32 × length 20, d_model 128): layerNorm, gelu, cross-entropy over 1000 words,
// and one Adam step over 1M parameters, beside naive TypeScript where it is a loop.
import { Runtime } from "../src/runtime/runtime.ts";
import { layerNormInto } from "../src/kernels/layernorm.ts";
import { activationInto } from "../src/kernels/activations.ts";
import { crossEntropyInto } from "../src/kernels/cross_entropy.ts";
import { adamStepInto } from "../src/kernels/adam.ts";
import { filled, naiveLayerNorm } from "./_naive.ts";

const rt = new Runtime();
const rows = 640, d = 128, vocab = 1000;
const x = rt.tensor(rows, d).set(filled(rows * d)), y = rt.tensor(rows, d);
const gamma = rt.tensor(1, d).set(new Float32Array(d).fill(1)), beta = rt.tensor(1, d);
const mean = rt.tensor(rows, 1), rstd = rt.tensor(rows, 1);
Deno.bench(
  "wasm layerNorm [640, 128]",
  { group: "layerNorm", baseline: true },
  () => layerNormInto(x, y, gamma, beta, mean, rstd, 1e-5),
);
const jx = filled(rows * d), jy = new Float32Array(rows * d);
Deno.bench(
  "naive TS layerNorm [640, 128]",
  { group: "layerNorm" },
  () => naiveLayerNorm(jx, jy, rows, d),
);

Deno.bench("wasm gelu [640, 512]", () => {
  const h = rt.mark();
  const a = rt.tensor(rows, 512);
  activationInto("gelu", a, a);
  rt.release(h);
});

const logits = rt.tensor(rows, vocab).set(filled(rows * vocab));
const labels = rt.ints(rows).set(Array.from({ length: rows }, (_, i) => (i * 7) % vocab));
const dlogits = rt.tensor(rows, vocab);
Deno.bench(
  "wasm cross-entropy + gradient [640, 1000]",
  () => {
    crossEntropyInto(logits, labels, dlogits, { smoothing: 0.1 });
  },
);

const n = 1 << 20;
const p = rt.tensor(1, n).set(filled(n)), g = rt.tensor(1, n).set(filled(n));
const m = rt.tensor(1, n), v = rt.tensor(1, n);
let step = 0;
Deno.bench("wasm Adam step, 1M parameters", () => adamStepInto(p, g, m, v, ++step, { lr: 1e-3 }));
