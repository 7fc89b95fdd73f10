import { deepEqual, equal, throws } from "node:assert/strict";
import { resolveRun, type RunFlags } from "../src/cli/train_settings.ts";

const none: RunFlags = { shape: {}, hasData: true, fromCheckpoint: false };

Deno.test("resolveRun: defaults, the toy's own defaults, flags over defaults", () => {
  const { run, toy } = resolveRun(none, {});
  equal(toy, false);
  deepEqual(
    [run.preset, run.tokenizer, run.vocab_size, run.dev, run.smoothing, run.schedule, run.lr],
    ["small", "bpe", 8000, 0.02, 0.1, "noam", 1],
  );
  const t = resolveRun({ ...none, preset: "statquest", hasData: false }, {});
  equal(t.toy, true);
  deepEqual([t.run.tokenizer, t.run.dev, t.run.smoothing, t.run.schedule, t.run.lr], [
    "word",
    0,
    0,
    "constant",
    0.1,
  ]);
  const f = resolveRun({ ...none, lr: 0.5, verbatim: 0.5, shape: { dModel: 64 } }, {});
  deepEqual([f.run.lr, f.run.verbatim, f.run.shape], [0.5, 0.5, { dModel: 64 }]);
});

Deno.test("resolveRun: what the checkpoint recorded wins; its shape is fixed", () => {
  const recorded = { preset: "translator" as const, seed: 1, dev: 0.02, data_sha256: "ab" };
  const { run, toy } = resolveRun(
    { ...none, seed: 9, lr: 0.04, shape: { dModel: 64 }, fromCheckpoint: true },
    recorded,
  );
  equal(toy, false);
  deepEqual([run.preset, run.seed, run.lr, run.data_sha256, run.shape], [
    "translator",
    1,
    0.04,
    "ab",
    {},
  ]);
  // The toy is the statquest preset without data, and has a fixed shape.
  throws(
    () => resolveRun({ ...none, preset: "statquest", hasData: false, shape: { dModel: 4 } }, {}),
    /fixed shape/,
  );
  equal(resolveRun({ ...none, preset: "statquest" }, {}).toy, false);
});
