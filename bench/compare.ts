// deno task bench:compare — one table, one run: our matmul against tfjs-backend-wasm
// (XNNPACK) on the same shapes, as a share of the measured SIMD multiply-add peak; then
// softmax throughput and fused causal attention latency; then, at 1 and 2 threads, the
// training step and batch translation of the reference configuration. Where
// /usr/bin/python3 has torch, PyTorch runs the same softmax, attention and training step
// on the same cores in the same run (bench/torch_peer.py), and the ratios are printed.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { Runtime } from "../src/runtime/runtime.ts";
import { matmulInto } from "../src/kernels/matmul.ts";
import { softmaxInto } from "../src/kernels/softmax.ts";
import { attentionInto } from "../src/kernels/attention.ts";
import { bestVariant } from "../src/runtime/wasm.ts";
import { bestSeconds, machine } from "./_timing.ts";
import { referenceBatch, referenceModel } from "./train_bench.ts";
import { train } from "../src/train/train.ts";
import { loadDefaultModel } from "../models/default.ts";
import { SENTENCES } from "./_sentences.ts";
import { compareOnnx } from "./onnx_compare.ts";
import { decodingTable, testSentences } from "./decoding.ts";
import { confirmBuilds, printTrainingShapes } from "./_training_shapes.ts";
import { interleavedTrainingSteps, stepStats } from "./_interleaved_peer.ts";

// Single training steps per side in the interleaved comparison with PyTorch.
const STEP_ROUNDS = 40;

const SHAPES: [number, number, number][] = [
  [64, 64, 64],
  [128, 128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [256, 512, 2048],
  [256, 2048, 512],
  [32, 128, 128],
];

function fill(t: { set(v: ArrayLike<number>): unknown; size: number }) {
  const v = new Float32Array(t.size);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.37);
  t.set(v);
}

const variant = bestVariant();
const rt = new Runtime({ variant });
const rt2 = new Runtime({ variant, threads: 2 });
const plain = new Runtime({ variant: "simd128" });

// 12 independent chains of f32x4 multiply-add: 96 flops per iteration (fused
// relaxed_madd in the relaxed build, mul + add in the SIMD128 one).
const PEAK_ITERS = 2_000_000;
const peak = (r: Runtime) =>
  96 * PEAK_ITERS / bestSeconds(() => r.kernels.simdPeak(PEAK_ITERS, 0.999)) / 1e9;
const peakBest = peak(rt), peakPlain = peak(plain);

await tf.setBackend("wasm");
await tf.ready();

console.log(`# bench:compare — ${new Date().toISOString().slice(0, 10)}`);
console.log(`machine: ${machine()}`);
console.log(`kernels: ${variant} (fastest build this engine validates); 1 thread`);
console.log(
  `multiply-add peak, 12 independent chains: ${peakBest.toFixed(1)} GFLOP/s (${variant}), ` +
    `${peakPlain.toFixed(1)} GFLOP/s (simd128: f32x4.mul + f32x4.add)\n`,
);
console.log(
  `| M×K×N | ours GFLOP/s | % of ${variant} peak | ours simd128-only | tfjs-wasm GFLOP/s | ours / tfjs | ours, 2 threads | 2 threads / 1 |`,
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
// Shapes to look at: under 70% of the peak, or where the relaxed build loses to SIMD128.
const flagged: string[] = [];
for (const [m, k, n] of SHAPES) {
  const flops = 2 * m * k * n;
  const ours = (r: Runtime) => {
    const mark = r.mark();
    const a = r.tensor(m, k), b = r.tensor(k, n), c = r.tensor(m, n);
    fill(a);
    fill(b);
    const g = flops / bestSeconds(() => matmulInto(a, b, c)) / 1e9;
    r.release(mark);
    return g;
  };
  const g = ours(rt), gPlain = ours(plain), g2 = ours(rt2);
  const ta = tf.randomUniform([m, k]), tb = tf.randomUniform([k, n]);
  const gtf = flops / bestSeconds(() => tf.matMul(ta, tb).dispose()) / 1e9;
  ta.dispose();
  tb.dispose();
  console.log(
    `| ${m}×${k}×${n} | ${g.toFixed(1)} | ${(100 * g / peakBest).toFixed(0)}% | ${
      gPlain.toFixed(1)
    } | ${gtf.toFixed(1)} | ${(g / gtf).toFixed(2)}× | ${g2.toFixed(1)} | ${
      (g2 / g).toFixed(2)
    }× |`,
  );
  if (g / peakBest < 0.7) {
    flagged.push(`${m}×${k}×${n} at ${(100 * g / peakBest).toFixed(0)}% of the peak`);
  }
  if (variant !== "simd128") {
    const shape = { m, k, n, transA: false, transB: false, calls: 1 };
    const [again, againPlain] = confirmBuilds(shape, rt, plain, [g, gPlain]);
    if (again < againPlain) {
      flagged.push(
        `${m}×${k}×${n}: ${variant} ${g.toFixed(1)} < simd128 ${gPlain.toFixed(1)} GFLOP/s`,
      );
    }
  }
}
console.log(
  flagged.length
    ? `\nflagged: ${flagged.join("; ")}`
    : "\nflagged: none (every shape ≥ 70% of the peak, relaxed ≥ simd128)",
);

printTrainingShapes(rt, plain, peakBest, variant);

const oursSoftmax: Record<string, number> = {};
let oursAttentionMs = 0;
console.log("\n| softmax rows×cols | ours Melem/s | tfjs-wasm Melem/s | ours / tfjs |");
console.log("| --- | ---: | ---: | ---: |");
for (const [rows, cols] of [[4096, 128], [4096, 1024]]) {
  const mark = rt.mark();
  const x = rt.tensor(rows, cols), y = rt.tensor(rows, cols);
  fill(x);
  const ours = rows * cols / bestSeconds(() => softmaxInto(x, y)) / 1e6;
  rt.release(mark);
  const tx = tf.randomUniform([rows, cols]);
  const theirs = rows * cols / bestSeconds(() => tf.softmax(tx).dispose()) / 1e6;
  tx.dispose();
  oursSoftmax[`${rows}x${cols}`] = ours;
  console.log(
    `| ${rows}×${cols} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${
      (ours / theirs).toFixed(2)
    }× |`,
  );
}

{
  const bh = 32, seq = 64, dHead = 32;
  const mark = rt.mark();
  const q = rt.tensor(bh * seq, dHead),
    k = rt.tensor(bh * seq, dHead),
    v = rt.tensor(bh * seq, dHead);
  [q, k, v].forEach(fill);
  const out = rt.tensor(bh * seq, dHead), probs = rt.tensor(bh * seq, seq);
  const shape = {
    batch: bh,
    heads: 1,
    seqQ: seq,
    seqK: seq,
    causal: true,
    scale: 1 / Math.sqrt(dHead),
  };
  const ms = bestSeconds(() => attentionInto(q, k, v, out, probs, shape)) * 1000;
  oursAttentionMs = ms;
  rt.release(mark);
  console.log(
    `\nfused causal attention, (batch·heads, seq, head_dim) = (${bh}, ${seq}, ${dHead}): ${
      ms.toFixed(3)
    } ms/call`,
  );
}

{
  // Reference configuration (bench/train_bench.ts): d_model 128, 4 heads, 2+2 layers,
  // feed-forward 512, vocabularies 1000, batch 32 × length 20.
  console.log("\n| reference configuration | 1 thread | 2 threads | 2 threads / 1 |");
  console.log("| --- | ---: | ---: | ---: |");
  const rates: number[][] = [];
  for (const threads of [1, 2]) {
    const model = referenceModel(threads);
    const batch = referenceBatch(7);
    const opts = { batchTokens: 100000, schedule: "constant" as const, lr: 1e-4, smoothing: 0.1 };
    let optimizer = train(model, batch, { ...opts, epochs: 1 });
    // Steady state, as in a training run: wasm functions move to optimized code on a
    // background thread, which both cores busy with 2 threads delay for ~2 s (steps are
    // ~10% slower until then), so train 3 s before timing.
    for (const t0 = performance.now(); performance.now() - t0 < 3000;) {
      optimizer = train(model, batch, { ...opts, epochs: optimizer.step + 1, optimizer });
    }
    const step = bestSeconds(
      () => {
        optimizer = train(model, batch, { ...opts, epochs: optimizer.step + 1, optimizer });
      },
      1,
      3,
    );
    const fresh = referenceModel(threads);
    const sentences = Array.from({ length: 100 }, (_, i) => referenceBatch(100 + i)[0].src);
    let produced = 0;
    const hundred = bestSeconds(
      () => {
        produced = fresh.translateIds(sentences, 20).reduce((n, t) => n + t.length, 0);
      },
      1,
      3,
    );
    rates.push([640 / step, 100 / hundred, produced]);
    model.close();
    fresh.close();
  }
  const row = (name: string, i: number, unit: string) =>
    console.log(
      `| ${name} | ${rates[0][i].toFixed(0)} ${unit} | ${rates[1][i].toFixed(0)} ${unit} | ${
        (rates[1][i] / rates[0][i]).toFixed(2)
      }× |`,
    );
  row("training step (batch 32×20, Adam)", 0, "target tokens/s");
  row(`translating 100 sentences as one batch (${rates[0][2]} tokens out)`, 1, "sentences/s");
}
rt2.close();

{
  // The shipped model translating one sentence at a time (what an interactive user
  // does): 8-bit products (its default) and 32-bit, on 1 and 2 threads.
  console.log(
    "\n| shipped model, greedy, one sentence at a time | 1 thread | 2 threads | 2 threads / 1 |",
  );
  console.log("| --- | ---: | ---: | ---: |");
  const perSentence: Record<string, number[]> = { "8-bit": [], "32-bit": [] };
  for (const threads of [1, 2]) {
    for (const kind of ["8-bit", "32-bit"]) {
      const model = await loadDefaultModel({ threads, int8: kind === "8-bit" });
      const seconds = bestSeconds(
        () => {
          for (const s of SENTENCES) model.translate(s, { beam: 1 });
        },
        1,
        5,
      );
      perSentence[kind].push((seconds / SENTENCES.length) * 1000);
      model.close();
    }
  }
  for (const [kind, [one, two]] of Object.entries(perSentence)) {
    console.log(
      `| ${kind} products, ms per sentence | ${one.toFixed(2)} | ${two.toFixed(2)} | ${
        (one / two).toFixed(2)
      }× (speed) |`,
    );
  }
  const [q, f] = [perSentence["8-bit"][0], perSentence["32-bit"][0]];
  console.log(`| 8-bit over 32-bit products, 1 thread | | | ${(f / q).toFixed(2)}× (speed) |`);
}

// Decoding one sentence at a time against batches of 64, the 8-bit products' share of it.
const TATOEBA = "../shared/data/spa-eng/spa-eng.tsv";
try {
  const decodingSentences = await testSentences(512, TATOEBA);
  await decodingTable(decodingSentences);
  await decodingTable(decodingSentences, 2, false);
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
  console.log(`\n(no ${TATOEBA}: the decoding table is left out)`);
}
await compareOnnx();

// PyTorch on the same cores, in this run.
const hasTorch = await new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"] })
  .output().then((o) => o.code === 0).catch(() => false);
if (hasTorch) {
  // OpenBLAS built for OpenMP, for this process only: Debian's default (pthreads) OpenBLAS
  // starts threads of its own under PyTorch's OpenMP ones, and PyTorch gets slower on 2.
  const openmp = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
  const hasOpenmp = await Deno.stat(`${openmp}/libblas.so.3`).then(() => true, () => false);
  const peerEnv = (threads: number): Record<string, string> => {
    const n = String(threads);
    return {
      OPENBLAS_NUM_THREADS: n,
      OMP_NUM_THREADS: n,
      MKL_NUM_THREADS: n,
      ...(hasOpenmp ? { LD_LIBRARY_PATH: openmp } : {}),
    };
  };
  const peer = async (threads: number) => {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [new URL("torch_peer.py", import.meta.url).pathname, String(threads)],
      env: peerEnv(threads),
      stdout: "piped",
      stderr: "inherit",
    }).output();
    return JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, number | string>;
  };
  const t = await peer(1);
  console.log(
    `\nPyTorch peer: BLAS ${t.blas}${
      hasOpenmp ? ` (LD_LIBRARY_PATH=${openmp})` : " (install libopenblas0-openmp for a fair peer)"
    }; threads: ${t.parallel}, and as set for each comparison below`,
  );
  console.log(
    `\n| against PyTorch ${t.version}, same cores, this run | ours | PyTorch | ours / PyTorch |`,
  );
  console.log("| --- | ---: | ---: | ---: |");
  for (const key of ["4096x128", "4096x1024"]) {
    const theirs = t[`softmax_${key}_melem_s`] as number;
    console.log(
      `| softmax ${key.replace("x", "×")}, Melem/s | ${oursSoftmax[key].toFixed(0)} | ${
        theirs.toFixed(0)
      } | ${(oursSoftmax[key] / theirs).toFixed(2)}× |`,
    );
  }
  const theirMs = t.attention_32x64x32_ms as number;
  console.log(
    `| causal attention (32, 64, 32) forward, ms | ${oursAttentionMs.toFixed(3)} | ${
      theirMs.toFixed(3)
    } | ${(theirMs / oursAttentionMs).toFixed(2)}× (speed) |`,
  );
  // The training step, ours and PyTorch's one step each in turn (bench/_interleaved_peer.ts),
  // each side's median and fastest single step; the ratio is of the medians.
  console.log(
    `\n| training step, reference configuration, ${STEP_ROUNDS} single steps each, interleaved | ours | PyTorch | ours / PyTorch |`,
  );
  console.log("| --- | ---: | ---: | ---: |");
  const medians: number[][] = [];
  for (const threads of [1, 2]) {
    const r = await interleavedTrainingSteps(threads, STEP_ROUNDS, peerEnv(threads));
    const o = stepStats(r.ours), p = stepStats(r.theirs);
    medians.push([o.median, p.median]);
    const label = `${threads} thread${threads > 1 ? "s" : ""} (PyTorch: ${r.peer.parallel})`;
    const rate = (ms: number) => (640 / ms * 1000).toFixed(0);
    console.log(
      `| ${label}, median, target tokens/s | ${rate(o.median)} | ${rate(p.median)} | ${
        (p.median / o.median).toFixed(2)
      }× |`,
    );
    console.log(
      `| ${label}, fastest step, target tokens/s | ${rate(o.best)} | ${rate(p.best)} | ${
        (p.best / o.best).toFixed(2)
      }× |`,
    );
  }
  console.log(
    `| 2 threads / 1, medians | ${(medians[0][0] / medians[1][0]).toFixed(2)}× | ${
      (medians[0][1] / medians[1][1]).toFixed(2)
    }× | |`,
  );
  if (medians[1][1] > medians[0][1]) {
    console.log(
      "(PyTorch is slower on 2 threads than on 1: its BLAS threads fight its OpenMP threads; " +
        "install libopenblas0-openmp)",
    );
  }
} else console.log("\n(no torch for /usr/bin/python3: PyTorch columns left out)");
