// Threads: results must not depend on the thread count, the pool must fall back to one
// thread where shared memory is missing, and a finished program must exit by itself.
import { deepEqual, equal, match } from "node:assert/strict";
import { Runtime } from "../../src/runtime/runtime.ts";
import { matmulInto } from "../../src/kernels/matmul.ts";
import { layerNormBackwardInto, layerNormInto } from "../../src/kernels/layernorm.ts";
import { dropoutInto, sumRowsInto, sumSquares } from "../../src/kernels/elementwise.ts";
import { embeddingBackwardInto } from "../../src/kernels/embedding.ts";
import { crossEntropyInto } from "../../src/kernels/cross_entropy.ts";
import { createModel } from "../../src/model/model.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { train } from "../../src/train/train.ts";
import { saveModel } from "../../src/checkpoint/checkpoint.ts";
import { seededRandom } from "../../src/model/random.ts";
import { MIN_WORK_PER_THREAD } from "../../src/kernels/_split.ts";

const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
const vocab = new Vocabulary([...words, "<SOS>", "<EOS>"]);
const random = seededRandom(5);
const DATA = Array.from({ length: 96 }, () => {
  const n = 4 + Math.floor(random() * 12);
  const s = Array.from({ length: n }, () => Math.floor(random() * 60));
  return { src: [...s, vocab.eos], tgt: s.slice().reverse() };
});

async function trained(threads: number) {
  // Large enough that matmuls, attention, softmax, layer norm and Adam are split.
  const model = createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed: 2,
    threads,
    overrides: { dModel: 64, heads: 4, dFF: 256, maxLen: 20 },
  });
  await model.ready();
  train(model, DATA, { epochs: 2, batchTokens: 400, warmup: 20, seed: 7 });
  return model;
}

Deno.test("training and translating are bit-identical at 1, 2 and 3 threads", async () => {
  const one = await trained(1);
  equal(one.threads, 1);
  const weights = saveModel(one);
  const translations = one.translateIds(DATA.slice(0, 24).map((e) => e.src));
  for (const threads of [2, 3]) {
    const m = await trained(threads);
    equal(m.threads, threads);
    if (m.core.rt.workerJobs === 0) throw new Error(`no job ran on a worker (${threads} threads)`);
    deepEqual(saveModel(m), weights, `weights after training with ${threads} threads`);
    deepEqual(m.translateIds(DATA.slice(0, 24).map((e) => e.src)), translations);
    m.close();
  }
});

Deno.test("matmul split by rows and by columns gives the same bits", async () => {
  const results: Float32Array[] = [];
  for (const threads of [1, 2, 3]) {
    const rt = new Runtime({ threads });
    equal(await rt.ready(), threads);
    for (const [m, k, n] of [[300, 70, 90], [2, 300, 2000], [1, 129, 1001]]) {
      const a = rt.tensor(m, k).set(Float32Array.from({ length: m * k }, (_, i) => Math.sin(i)));
      const b = rt.tensor(n, k).set(Float32Array.from({ length: n * k }, (_, i) => Math.cos(i)));
      const c = rt.tensor(m, n);
      matmulInto(a, b, c, { transB: true });
      const first = c.toArray();
      results.push(first);
      // Whichever thread takes which job, the same bits; and at least one of them on a
      // worker (the caller takes a job itself when the worker is slow to wake).
      const split = threads > 1 && m * k * n >= 2 * MIN_WORK_PER_THREAD;
      const before = rt.workerJobs;
      for (let i = 0; split && i < 200 && rt.workerJobs === before; i++) {
        matmulInto(a, b, c, { transB: true });
        deepEqual(c.toArray(), first);
      }
      if (split && rt.workerJobs === before) {
        throw new Error(`no job ran on a worker: ${m}×${k}×${n}, ${threads} threads`);
      }
    }
    rt.close();
  }
  for (let i = 3; i < results.length; i++) deepEqual(results[i], results[i % 3]);
});

Deno.test("a worker that is not ready never blocks: its job runs on the calling thread", async () => {
  const rt = new Runtime({ threads: 2 });
  const a = rt.tensor(300, 300).set(Float32Array.from({ length: 90000 }, (_, i) => Math.sin(i)));
  const c = rt.tensor(300, 300);
  matmulInto(a, a, c); // before ready(): the worker is only starting
  const first = c.toArray();
  equal(await rt.ready(), 2);
  const before = rt.workerJobs;
  // The caller takes the worker's job itself when the worker is slow to wake (it may be
  // asleep after ready()), so it may take a few calls before the worker gets one.
  for (let i = 0; i < 200 && rt.workerJobs === before; i++) {
    matmulInto(a, a, c);
    deepEqual(c.toArray(), first);
  }
  if (rt.workerJobs === before) throw new Error("the ready worker was not used in 200 calls");
  rt.close();
});

Deno.test("a job that fails on a worker is reported, and the pool works on after it", async () => {
  const rt = new Runtime({ threads: 2 });
  equal(await rt.ready(), 2);
  const n = 1 << 20, h = n / 2;
  const x = rt.tensor(1, n).set(new Float32Array(n).fill(1.5)), y = rt.tensor(1, n);
  const good = [x.ptr, x.ptr, y.ptr, n];
  const bad = () => [rt.memory.buffer.byteLength, x.ptr, y.ptr, 64]; // out of bounds: a trap
  // The caller runs the long job first; the worker takes the bad one, unless it is slow to
  // start, when the caller traps on it itself. Either way one error, never a hang.
  let onWorker = false;
  for (let i = 0; i < 50 && !onWorker; i++) {
    try {
      rt.parallel("add", [good, bad()]);
      throw new Error("a job that traps did not fail");
    } catch (e) {
      const message = (e as Error).message;
      onWorker = message === "a worker failed in kernel add";
      if (!onWorker) match(message, /out of bounds/);
    }
    // The failed worker is started again, and takes jobs again.
    equal(await rt.ready(), 2);
    const before = rt.workerJobs;
    for (let j = 0; j < 200 && rt.workerJobs === before; j++) {
      y.set(new Float32Array(n));
      rt.parallel("add", [[x.ptr, x.ptr, y.ptr, h], [
        x.ptr + 4 * h,
        x.ptr + 4 * h,
        y.ptr + 4 * h,
        h,
      ]]);
      equal(y.view().every((v) => v === 3), true);
    }
    if (rt.workerJobs === before) throw new Error("no job ran on a worker after a failure");
  }
  equal(onWorker, true, "in 50 tries the bad job never ran on the worker");
  rt.close();
});

Deno.test("the time the caller waits for workers is kept by kernel", async () => {
  deepEqual(new Runtime({}).workerWaitMs, {});
  const rt = new Runtime({ threads: 2 });
  equal(await rt.ready(), 2);
  const a = rt.tensor(300, 300).set(Float32Array.from({ length: 90000 }, (_, i) => Math.sin(i)));
  const c = rt.tensor(300, 300);
  const before = rt.workerJobs;
  for (let i = 0; i < 200 && rt.workerJobs === before; i++) matmulInto(a, a, c);
  if (rt.workerJobs === before) throw new Error("the ready worker was not used in 200 calls");
  const waits = rt.workerWaitMs;
  equal(Object.keys(waits).includes("matmul"), true);
  equal(Object.keys(waits).includes("simdPeak"), false); // never split, so never waited on
  for (const ms of Object.values(waits)) equal(Number.isFinite(ms) && ms >= 0, true);
  matmulInto(a, a, c);
  equal(rt.workerWaitMs.matmul >= waits.matmul, true);
  rt.close();
});

Deno.test("workers that never start: one notice, one thread, no hang", async () => {
  const g = globalThis as { Worker: unknown };
  const saved = g.Worker;
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  // A browser that accepts the worker but never runs it (a blocked script, say).
  g.Worker = class {
    onerror: unknown = null;
    postMessage() {}
    terminate() {}
  };
  try {
    const rt = new Runtime({ threads: 2 });
    const a = rt.tensor(300, 300).set(Float32Array.from({ length: 90000 }, (_, i) => Math.cos(i)));
    const c = rt.tensor(300, 300);
    matmulInto(a, a, c); // runs at once, on this thread
    equal(await rt.ready(200), 1);
    equal(rt.threads, 1);
    matmulInto(a, a, c);
    equal(rt.workerJobs, 0);
  } finally {
    g.Worker = saved;
    console.warn = warn;
  }
  equal(warnings.length, 1);
  match(warnings[0], /did not start within 0.2 s; running on one thread/);
});

Deno.test("without shared memory the runtime falls back to one thread with a notice", () => {
  const g = globalThis as { SharedArrayBuffer?: unknown };
  const saved = g.SharedArrayBuffer;
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  try {
    delete g.SharedArrayBuffer;
    const rt = new Runtime({ threads: 4 });
    equal(rt.threads, 1);
    new Runtime({ threads: 4 }); // the notice is given once
    const a = rt.tensor(64, 64), c = rt.tensor(64, 64);
    matmulInto(a, a, c); // and it works
  } finally {
    g.SharedArrayBuffer = saved;
    console.warn = warn;
  }
  equal(warnings.length, 1);
  match(warnings[0], /running on one thread/);
});

Deno.test("a program that used worker threads exits by itself", async () => {
  const code = `
    import { Runtime } from "${new URL("../../src/runtime/runtime.ts", import.meta.url)}";
    import { matmulInto } from "${new URL("../../src/kernels/matmul.ts", import.meta.url)}";
    const rt = new Runtime({ threads: 2 });
    const a = rt.tensor(256, 256), c = rt.tensor(256, 256);
    matmulInto(a, a, c);
    console.log("done");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(code));
  await w.close();
  // If a worker kept it alive, this would never resolve and the test would time out.
  const out = await child.output();
  equal(new TextDecoder().decode(out.stdout), "done\n");
  equal(out.code, 0);
});

Deno.test("every split kernel gives the same bits at 1, 2 and 3 threads", async () => {
  const outputs: number[][][] = [];
  for (const threads of [1, 2, 3]) {
    const rt = new Runtime({ threads });
    await rt.ready();
    const fill = (rows: number, cols: number, seed: number) =>
      rt.tensor(rows, cols).set(
        Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37 + seed)),
      );
    const out: number[][] = [];
    // Sizes above the split threshold (3 × 250k), so every kernel is really split.
    // layer norm backward: dx by rows, dgamma/dbeta by columns
    const x = fill(12000, 67, 1), dy = fill(12000, 67, 2), g = fill(1, 67, 3);
    const mean = rt.tensor(12000, 1), rstd = rt.tensor(12000, 1), y = rt.tensor(12000, 67);
    layerNormInto(x, y, g, g, mean, rstd, 1e-5);
    const dx = rt.tensor(12000, 67), dg = rt.tensor(1, 67), db = rt.tensor(1, 67);
    layerNormBackwardInto(dy, x, g, mean, rstd, dx, dg, db, false);
    out.push([...y.toArray(), ...dx.toArray(), ...dg.toArray(), ...db.toArray()]);
    // bias gradient, squared norm, dropout, embedding backward, cross-entropy
    const sr = rt.tensor(1, 67);
    sumRowsInto(dy, sr, false);
    out.push([...sr.toArray(), sumSquares(dy)]);
    const dout = rt.tensor(12000, 67), mask = rt.allocBytes(12000 * 67);
    dropoutInto(dy, dout, mask, 0.1, 99);
    out.push([...dout.toArray(), ...rt.u8.slice(mask, mask + 12000 * 67)]);
    const ids = rt.ints(12000).set(Array.from({ length: 12000 }, (_, i) => (i * 7) % 50));
    const table = rt.tensor(50, 67);
    embeddingBackwardInto(dy, ids, table, 2);
    out.push([...table.toArray()]);
    const logits = fill(700, 1000, 4), dlogits = rt.tensor(700, 1000);
    const labels = rt.ints(700).set(
      Array.from({ length: 700 }, (_, i) => (i % 9 === 0 ? -1 : (i * 13) % 1000)),
    );
    const loss = crossEntropyInto(logits, labels, dlogits, { smoothing: 0.1, ignoreIndex: -1 });
    out.push([loss, ...dlogits.toArray()]);
    outputs.push(out);
    if (threads > 1 && rt.workerJobs === 0) throw new Error("no job ran on a worker");
    rt.close();
  }
  for (const t of [1, 2]) {
    outputs[t].forEach((o, k) => {
      const ref = outputs[0][k];
      const same = o.length === ref.length && o.every((v, i) => Object.is(v, ref[i]));
      if (!same) throw new Error(`output ${k} differs at ${t + 1} threads`);
    });
  }
});
