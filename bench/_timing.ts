// Timing helpers for bench/compare.ts: the best mean over several timed runs, each
// long enough (>= 0.2 s) that timer resolution does not matter.

export function bestSeconds(fn: () => void, minSeconds = 0.2, runs = 5): number {
  for (let i = 0; i < 3; i++) fn(); // warm up, let the JIT tier up
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if ((performance.now() - t0) / 1000 >= minSeconds / 4) break;
    reps *= 2;
  }
  reps *= 4;
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

export function machine(): string {
  // Deno gives no CPU model without --allow-all (/proc): name the platform instead.
  return `${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, ` +
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`;
}
