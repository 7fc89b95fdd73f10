// Where a training step's time goes: the reference configuration of bench/train_bench.ts
// (d_model 128, 4 heads, 2+2 layers, feed-forward 512, vocabularies of 1000, batch
// 32×20, Adam), every kernel export timed by wrapping it. The rest is the JavaScript
// around the kernels (layer logic, batching, bookkeeping). On more threads the kernels'
// times are this thread's own share of their jobs, and the time it then waited for the
// workers' shares is listed apart, by kernel: where the threads do not keep up.
//
//   deno task bench:profile
//   deno task bench:profile --threads 2
import { parseArgs } from "node:util";
import { referenceBatch, referenceModel } from "./train_bench.ts";
import { train } from "../src/train/train.ts";

let values: { threads?: string };
try {
  ({ values } = parseArgs({ args: Deno.args, options: { threads: { type: "string" } } }));
} catch (e) {
  console.error(
    `bench:profile: ${(e as Error).message}. Usage: deno task bench:profile [--threads N]`,
  );
  Deno.exit(2);
}
const threads = Number(values.threads ?? 1);
if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
  console.error(
    `bench:profile: --threads must be an integer from 1 to 64, got "${values.threads}"`,
  );
  Deno.exit(2);
}

const model = referenceModel(threads);
const batch = referenceBatch(7);
const opts = { epochs: 1, batchTokens: 100000, schedule: "constant" as const, lr: 1e-4 };
await model.core.rt.ready();
let optimizer = train(model, batch, opts);

const rt = model.core.rt as unknown as { kernels: Record<string, unknown> };
const exports = rt.kernels;
const spent = new Map<string, { ms: number; calls: number }>();
// matmul by shape: "M×K×N" with the transposed operands marked (ᵀ).
const shapes = new Map<string, { ms: number; calls: number; flops: number }>();
// The exports object is frozen: time each function through a plain object of wrappers.
const timed: Record<string, unknown> = {};
for (const [name, f] of Object.entries(exports)) {
  timed[name] = typeof f !== "function" ? f : (...args: number[]) => {
    const t0 = performance.now();
    const r = (f as (...a: number[]) => unknown)(...args);
    const ms = performance.now() - t0;
    const s = spent.get(name) ?? { ms: 0, calls: 0 };
    s.ms += ms;
    s.calls++;
    spent.set(name, s);
    if (name === "matmul") {
      const [m, n, k, tA, tB] = [args[4], args[5], args[6], args[10], args[11]];
      const key = `${m}${tA ? "ᵀ" : ""}×${k}×${n}${tB ? "ᵀ" : ""}`;
      const e = shapes.get(key) ?? { ms: 0, calls: 0, flops: 0 };
      e.ms += ms;
      e.calls++;
      e.flops += 2 * m * n * k;
      shapes.set(key, e);
    }
    return r;
  };
}
rt.kernels = timed;

const steps = 30;
const waitedBefore = model.core.rt.workerWaitMs;
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  optimizer = train(model, batch, { ...opts, epochs: optimizer.step + 1, optimizer });
}
const total = performance.now() - t0;
const waited = Object.entries(model.core.rt.workerWaitMs)
  .map(([name, ms]) => [name, ms - (waitedBefore[name] ?? 0)] as const)
  .filter(([, ms]) => ms > 0);
const accounted = [...spent.values()].reduce((a, s) => a + s.ms, 0) +
  waited.reduce((a, [, ms]) => a + ms, 0);
console.log(
  `training step: ${(total / steps).toFixed(2)} ms (${
    (640 * steps / (total / 1000)).toFixed(0)
  } target tokens/s), ${steps} steps, ${threads} thread${threads > 1 ? "s" : ""}`,
);
console.log("| kernel | share of the step | ms per step | calls per step |");
console.log("| --- | ---: | ---: | ---: |");
for (const [name, s] of [...spent].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(
    `| ${name} | ${(100 * s.ms / total).toFixed(1)}% | ${
      (s.ms / steps).toFixed(2)
    } | ${+(s.calls / steps).toFixed(1)} |`,
  );
}
for (const [name, ms] of waited.sort((a, b) => b[1] - a[1])) {
  console.log(
    `| waiting for the workers in ${name} | ${(100 * ms / total).toFixed(1)}% | ${
      (ms / steps).toFixed(2)
    } | |`,
  );
}
console.log(
  `| (JavaScript around the kernels) | ${(100 * (total - accounted) / total).toFixed(1)}% | ${
    ((total - accounted) / steps).toFixed(2)
  } | |`,
);
// On more threads a call's kernels are jobs (parts of a product): shapes only on one.
if (threads === 1) {
  console.log();
  console.log(
    "| matmul M×K×N (ᵀ: transposed operand) | share of the step | GFLOP/s | calls per step |",
  );
  console.log("| --- | ---: | ---: | ---: |");
  for (const [key, e] of [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
    console.log(
      `| ${key} | ${(100 * e.ms / total).toFixed(1)}% | ${(e.flops / e.ms / 1e6).toFixed(1)} | ${
        e.calls / steps
      } |`,
    );
  }
}
