import { deepEqual, equal, match, throws } from "node:assert/strict";
import {
  resolveRun,
  resumeConflicts,
  type RunFlags,
  settingsForInit,
} from "../../src/cli/train_settings.ts";
import { recordedRun, recordedSplit, runRecordProblem } from "../../src/checkpoint/run_record.ts";
import { configFromPreset } from "../../src/model/config.ts";
import { UsageError } from "../../src/cli/run.ts";

const none: RunFlags = { shape: {}, hasData: true, fromCheckpoint: false };

Deno.test("resolveRun: defaults, the StatQuest model's own defaults, flags over defaults", () => {
  const { run, statquest } = resolveRun(none, {});
  equal(statquest, false);
  deepEqual(
    [run.preset, run.tokenizer, run.vocab_size, run.dev, run.smoothing, run.schedule, run.lr],
    ["small", "bpe", 8000, 0.02, 0.1, "noam", 1],
  );
  const t = resolveRun({ ...none, preset: "statquest", hasData: false }, {});
  equal(t.statquest, true);
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
  const { run, statquest } = resolveRun(
    { ...none, seed: 9, lr: 0.04, shape: { dModel: 64 }, fromCheckpoint: true },
    recorded,
  );
  equal(statquest, false);
  deepEqual([run.preset, run.seed, run.lr, run.data_sha256, run.shape], [
    "translator",
    1,
    0.04,
    "ab",
    {},
  ]);
  // The StatQuest model is the statquest preset without data, and has a fixed shape.
  throws(
    () => resolveRun({ ...none, preset: "statquest", hasData: false, shape: { dModel: 4 } }, {}),
    /fixed shape/,
  );
  equal(resolveRun({ ...none, preset: "statquest" }, {}).statquest, false);
});

Deno.test("resolveRun: a shape the config refuses is a usage error, before any work", () => {
  throws(
    () => resolveRun({ ...none, shape: { dModel: 30, heads: 4 } }, {}),
    (e) => e instanceof UsageError && /not a multiple of heads 4/.test(e.message),
  );
  // From a checkpoint the shape is the checkpoint's: flags are not applied.
  equal(
    resolveRun({ ...none, shape: { dModel: 30 }, fromCheckpoint: true }, {}).run.preset,
    "small",
  );
});

Deno.test("resumeConflicts: names each flag that contradicts the recorded run", () => {
  const config = configFromPreset("small", { srcVocab: 10, tgtVocab: 10 });
  const flags: RunFlags = { ...none, lr: 0.5, seed: 2, shape: { heads: config.heads + 1 } };
  deepEqual(resumeConflicts(flags, { lr: 0.5, seed: 1 }, config), [
    "--seed 2 (the checkpoint has 1)",
    `--heads ${config.heads + 1} (the checkpoint has ${config.heads})`,
  ]);
  deepEqual(resumeConflicts({ ...none, lr: 0.5 }, { lr: 0.5 }, config), []);
});

Deno.test("the run record: written once, checked, and read from older checkpoints too", () => {
  const { run } = resolveRun(none, {});
  equal(runRecordProblem(JSON.stringify(run)), undefined);
  deepEqual(recordedRun({ train_options: JSON.stringify(run) }), run);
  match(runRecordProblem('{"dev":0.5,"test":0.5}')!, /holds out every sentence/);
  match(runRecordProblem('{"lr":-1}')!, /lr -1, of the wrong kind/);
  match(runRecordProblem('{"shape":{"dModel":"x"}}')!, /shape/);
  match(runRecordProblem('{"rate":1}')!, /unknown setting "rate"/);
  match(runRecordProblem("[1]")!, /JSON object/);
  match(runRecordProblem("{")!, /not valid JSON/);
  // A checkpoint older than the record kept the run under keys of its own.
  const old = {
    preset: "translator",
    seed: "1",
    split: '{"dev":0.02,"test":0.03,"seed":1}',
    textbook: "true",
    textbook_copies: "32",
  };
  deepEqual(recordedSplit(old), { dev: 0.02, test: 0.03, seed: 1 });
  deepEqual(recordedRun(old).textbook_copies, 32);
  equal(recordedSplit({}), undefined);
  // Fine-tuning keeps the preset and the split; the tokenizer is the model's own.
  deepEqual(settingsForInit(old, "bpe", 8000), {
    preset: "translator",
    direction: "en-es",
    tokenizer: "bpe",
    vocab_size: 8000,
    dev: 0.02,
    test: 0.03,
    seed: 1,
  });
});

Deno.test("resolveRun: the direction is recorded and fixed; the StatQuest model is en-es only", () => {
  equal(resolveRun(none, {}).run.direction, "en-es");
  equal(resolveRun({ ...none, direction: "es-en" }, {}).run.direction, "es-en");
  // A resumed run keeps the direction it was trained in, and a contrary flag is named.
  equal(
    resolveRun({ ...none, fromCheckpoint: true }, { direction: "es-en" }).run.direction,
    "es-en",
  );
  const config = configFromPreset("small", { srcVocab: 10, tgtVocab: 10 });
  deepEqual(resumeConflicts({ ...none, direction: "en-es" }, { direction: "es-en" }, config), [
    "--direction en-es (the checkpoint has es-en)",
  ]);
  throws(
    () => resolveRun({ ...none, preset: "statquest", hasData: false, direction: "es-en" }, {}),
    (e) => e instanceof UsageError && /English to Spanish only/.test(e.message),
  );
  match(runRecordProblem('{"direction":"fr-en"}')!, /direction "fr-en", of the wrong kind/);
});

Deno.test("resolveRun: --hold-out-reverse is recorded, kept on resume, absent when off", () => {
  equal(resolveRun(none, {}).run.hold_out_reverse, undefined);
  equal(resolveRun({ ...none, hold_out_reverse: true }, {}).run.hold_out_reverse, true);
  equal(
    resolveRun({ ...none, fromCheckpoint: true }, { hold_out_reverse: true }).run.hold_out_reverse,
    true,
  );
  const config = configFromPreset("small", { srcVocab: 10, tgtVocab: 10 });
  deepEqual(
    resumeConflicts({ ...none, hold_out_reverse: false }, { hold_out_reverse: true }, config),
    [
      "--hold-out-reverse false (the checkpoint has true)",
    ],
  );
  match(runRecordProblem('{"hold_out_reverse":1}')!, /hold_out_reverse 1, of the wrong kind/);
});

Deno.test("resolveRun: the run's length is recorded; a resume's flags may change it", () => {
  const { run } = resolveRun({ ...none, epochs: 200, average: 4 }, {});
  deepEqual([run.epochs, run.max_steps, run.average, run.average_every], [200, 0, 4, 100]);
  // Resumed without flags: the recorded length, not the default 10.
  const recorded = { epochs: 200, max_steps: 0, average: 4, average_every: 50 };
  const resumed = resolveRun({ ...none, fromCheckpoint: true }, recorded).run;
  deepEqual([resumed.epochs, resumed.average, resumed.average_every], [200, 4, 50]);
  // A longer run asked for on resume: the flag wins, and is no conflict.
  equal(resolveRun({ ...none, epochs: 300, fromCheckpoint: true }, recorded).run.epochs, 300);
  const config = configFromPreset("small", { srcVocab: 10, tgtVocab: 10 });
  deepEqual(resumeConflicts({ ...none, epochs: 300 }, recorded, config), []);
  match(runRecordProblem('{"epochs":0}')!, /epochs 0, of the wrong kind/);
});
