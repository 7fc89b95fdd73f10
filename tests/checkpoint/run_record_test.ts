// A checkpoint's run record: what train.ts recorded, read back; records of the wrong
// shape refused; older checkpoints' separate keys still read.
import { deepEqual, equal } from "node:assert/strict";
import {
  recordedRun,
  recordedSplit,
  RUN_RECORD_KEY,
  runRecordProblem,
} from "../../src/checkpoint/run_record.ts";

Deno.test("a record reads back, with its split", () => {
  const record = { preset: "translator", seed: 1, dev: 0.02, test: 0.02, direction: "es-en" };
  const metadata = { [RUN_RECORD_KEY]: JSON.stringify(record) };
  equal(runRecordProblem(metadata[RUN_RECORD_KEY]), undefined);
  deepEqual(recordedRun(metadata), record);
  deepEqual(recordedSplit(metadata), { dev: 0.02, test: 0.02, seed: 1 });
  deepEqual(recordedRun({}), {});
  equal(recordedSplit({}), undefined);
});

Deno.test("a record of the wrong shape says what is wrong", () => {
  equal(runRecordProblem("{"), "is not valid JSON");
  equal(runRecordProblem("[]"), "must be a JSON object");
  equal(runRecordProblem('{"colour": 1}'), 'has an unknown setting "colour"');
  equal(runRecordProblem('{"preset": "huge"}'), 'has preset "huge", of the wrong kind');
  equal(runRecordProblem('{"dev": 0.5, "test": 0.5}'), "holds out every sentence (dev + test ≥ 1)");
});

Deno.test("older checkpoints kept their settings under their own keys", () => {
  const old = {
    preset: "small",
    seed: "3",
    split: JSON.stringify({ dev: 0.1, test: 0.1, seed: 3 }),
  };
  deepEqual(recordedRun(old), { preset: "small", seed: 3, dev: 0.1, test: 0.1 });
});
