// Splitting work across threads. Work is split by output rows, (batch, head) or
// elements, never along a reduction, so every output is computed by exactly the same
// instructions whatever the thread count: results are bit-identical.
import type { Runtime } from "../runtime/runtime.ts";

/**
 * Below this much work (in multiply-adds or element operations) per thread, handing
 * work to a worker costs more than it saves. Measured here (bench/threads_bench.ts):
 * a round trip to a worker that is spinning between kernels takes 1.2 µs; one that has
 * gone to sleep takes several µs more to wake. 250k multiply-adds take about 5 µs.
 */
export const MIN_WORK_PER_THREAD = 250_000;

/** Threads worth using for `work` units on runtime `rt`. */
export function threadsFor(rt: Runtime, work: number): number {
  if (rt.threads === 1) return 1;
  return Math.max(1, Math.min(rt.threads, Math.floor(work / MIN_WORK_PER_THREAD)));
}

/**
 * Jobs to cut a matrix product for `threads` threads into: two per thread. The threads
 * take jobs from a queue until it is empty, so when one core is slowed (a worker waking
 * up, a machine lending the core to another program for a while) the others do more.
 * Measured on the training step of bench/train_bench.ts, 2 threads: 1.02× the speed of
 * one job per thread on a quiet machine (within noise), 1.08× beside a busy loop; four
 * per thread: 0.98× and 1.13× (each job packs the other operand whole, so more jobs cost
 * more packing). Element-wise kernels keep one job per thread: theirs cost less than the
 * hand-over.
 */
export function jobsFor(threads: number): number {
  return threads === 1 ? 1 : threads * 2;
}

/** [start, end) ranges covering [0, n) in `parts` pieces, starts multiples of `align`. */
export function splitRange(n: number, parts: number, align = 1): [number, number][] {
  const out: [number, number][] = [];
  const units = Math.ceil(n / align);
  const p = Math.max(1, Math.min(parts, units));
  for (let i = 0; i < p; i++) {
    const s = Math.floor((units * i) / p) * align;
    const e = Math.min(n, Math.floor((units * (i + 1)) / p) * align);
    if (e > s) out.push([s, e]);
  }
  return out;
}
