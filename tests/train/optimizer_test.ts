// Adam: the paper's warm-up schedule, a constant rate, and one update against the
// formula computed here in f64 (bias-corrected moments), with gradient clipping.
import { equal, ok } from "node:assert/strict";
import { Adam } from "../../src/train/optimizer.ts";
import { Runtime } from "../../src/runtime/runtime.ts";
import { ParamStore } from "../../src/model/params.ts";

Deno.test("the warm-up schedule rises to its peak at `warmup` steps, then falls as 1/√step", () => {
  const rt = new Runtime({ threads: 1 });
  const adam = new Adam(new ParamStore(rt, [{ name: "w", shape: [4], init: "zeros" }]), 512, {
    warmup: 4000,
  });
  const lr = (s: number) => adam.learningRate(s);
  ok(lr(1) < lr(2000) && lr(2000) < lr(4000));
  ok(lr(4000) > lr(4001) && lr(4001) > lr(16000));
  ok(Math.abs(lr(16000) / lr(4000) - 0.5) < 1e-12);
  ok(Math.abs(lr(4000) - 512 ** -0.5 * 4000 ** -0.5) < 1e-15);
  const constant = new Adam(new ParamStore(rt, [{ name: "w", shape: [4], init: "zeros" }]), 512, {
    schedule: "constant",
    lr: 0.1,
  });
  equal(constant.learningRate(1), 0.1);
  equal(constant.learningRate(99), 0.1);
});

Deno.test("one update is Adam's, and clipping scales the gradient to the norm", () => {
  const rt = new Runtime({ threads: 1 });
  const params = new ParamStore(rt, [{ name: "w", shape: [3], init: "zeros" }]);
  const w = params.get("w").view(), g = params.grad("w").view();
  w.set([1, 2, 3]);
  g.set([3, 0, -4]); // norm 5
  const adam = new Adam(params, 1, { schedule: "constant", lr: 0.01, clipNorm: 1 });
  const { gradNorm } = adam.update();
  ok(Math.abs(gradNorm - 5) < 1e-6);
  // After clipping, g = [0.6, 0, -0.8]; step 1: m̂ = g, v̂ = g², so Δ = lr·g/(|g| + ε).
  const expect = [1 - 0.01, 2, 3 + 0.01];
  for (let i = 0; i < 3; i++) ok(Math.abs(w[i] - expect[i]) < 1e-6, `${w[i]} vs ${expect[i]}`);
  equal(adam.step, 1);
});
