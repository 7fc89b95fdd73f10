import { Runtime } from "../../src/runtime/runtime.ts";
import { adamStepInto } from "../../src/kernels/adam.ts";
import { assertClose, assertThrows, randomArray } from "../_helpers.ts";
import { refAdam } from "../reference.ts";

Deno.test("Adam and AdamW steps match torch.optim's update, over several steps", () => {
  const rt = new Runtime();
  for (const n of [1, 3, 4, 7, 65, 1001]) {
    for (const [wd, decoupled] of [[0, false], [0.01, false], [0.1, true]] as const) {
      const h = { lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-9, wd, decoupled };
      let ref: { p: Float64Array; m: Float64Array; v: Float64Array } = {
        p: Float64Array.from(randomArray(n, n)),
        m: new Float64Array(n),
        v: new Float64Array(n),
      };
      const p = rt.tensor(1, n).set(ref.p), m = rt.tensor(1, n), v = rt.tensor(1, n);
      const g = rt.tensor(1, n);
      for (let step = 1; step <= 3; step++) {
        const grad = randomArray(n, n * 10 + step, 0.1);
        g.set(grad);
        adamStepInto(p, g, m, v, step, { ...h, weightDecay: wd });
        ref = refAdam(ref.p, grad, ref.m, ref.v, step, h);
        // Each step moves p by about lr; f32 rounding of that is well under 1e-6.
        const label = `adam n=${n} wd=${wd} decoupled=${decoupled} step ${step}`;
        assertClose(p.toArray(), ref.p, { atol: 1e-6, rtol: 1e-6, label });
        assertClose(m.toArray(), ref.m, { rtol: 1e-5, atol: 1e-9, label: `m ${label}` });
        assertClose(v.toArray(), ref.v, { rtol: 1e-5, atol: 1e-12, label: `v ${label}` });
      }
    }
  }
});

Deno.test("Adam rejects a step number below 1 and mismatched regions", () => {
  const rt = new Runtime();
  const t = rt.tensor(1, 4);
  assertThrows(() => adamStepInto(t, t, t, t, 0, { lr: 1 }), /step must be an integer >= 1/);
  assertThrows(() => adamStepInto(t, rt.tensor(1, 5), t, t, 1, { lr: 1 }), /grads has shape/);
  assertThrows(() => adamStepInto(t, t, t, t, 1, { lr: NaN }), /lr must be a finite number/);
});
