// The progress line, durations and plurals as the tools print them.
import { equal } from "node:assert/strict";
import { formatDuration, plural, progressLine } from "../../src/cli/progress.ts";

Deno.test("durations, plurals", () => {
  equal(formatDuration(42), "42s");
  equal(formatDuration(187), "3m07s");
  equal(formatDuration(3900), "1h05m");
  equal(formatDuration(NaN), "?");
  equal(plural(1, "sentence"), "1 sentence");
  equal(plural(2, "sentence"), "2 sentences");
  equal(plural(0, "thread"), "0 threads");
});

Deno.test("a step's line: bar, epoch, step, loss, speed, time left from this run's steps", () => {
  const line = progressLine(
    {
      step: 50,
      totalSteps: 100,
      epoch: 0,
      loss: 2.3456,
      tokensPerSecond: 1234.4,
      elapsed: 40,
    } as never,
    10,
  );
  equal(
    line,
    "[##########..........] epoch 1 step 50/100 loss 2.346 1234 tok/s, 40s elapsed, 50s left",
  );
});
