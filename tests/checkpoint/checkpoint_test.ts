import { deepEqual, equal, notDeepEqual, rejects } from "node:assert/strict";
import { createModel } from "../../src/model/model.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { train, TrainingDivergedError } from "../../src/train/train.ts";
import {
  CheckpointError,
  loadCheckpoint,
  loadModel,
  saveModel,
} from "../../src/checkpoint/checkpoint.ts";
import { assertThrows } from "../_helpers.ts";
import { editHeader } from "../_safetensors_edit.ts";

const vocab = new Vocabulary(["a", "b", "c", "d", "<SOS>", "<EOS>"]);
function tinyModel(seed = 1, dropout = 0.1) {
  return createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed,
    overrides: { dModel: 16, heads: 2, dFF: 24, dropout, maxLen: 8 },
  });
}
const DATA = [
  { src: [0, 1, 2, 5], tgt: [2, 1, 0] },
  { src: [3, 3, 5], tgt: [3, 3] },
  { src: [1, 5], tgt: [1] },
  { src: [2, 0, 3, 1, 5], tgt: [1, 3, 0, 2] },
];
const OPTS = { epochs: 5, batchTokens: 12, warmup: 10, seed: 9 };

Deno.test("same seed and data give bit-identical weights (dropout on)", () => {
  const a = tinyModel(), b = tinyModel();
  train(a, DATA, OPTS);
  train(b, DATA, OPTS);
  deepEqual(saveModel(a), saveModel(b));
  const c = tinyModel();
  train(c, DATA, { ...OPTS, seed: 10 });
  notDeepEqual(saveModel(a), saveModel(c));
});

Deno.test("checkpoint round trip gives identical logits and translations", async () => {
  const m = tinyModel();
  train(m, DATA, OPTS);
  const copy = await loadModel(saveModel(m));
  deepEqual(copy.config, m.config);
  deepEqual(
    copy.logits([[0, 1, 5], [2, 5]], [[4, 2], [4]]),
    m.logits([[0, 1, 5], [2, 5]], [[4, 2], [4]]),
  );
  deepEqual(copy.translateIds([[0, 1, 2, 5]]), m.translateIds([[0, 1, 2, 5]]));
});

Deno.test("an interrupted run resumed from its checkpoint ends bit-identical", () => {
  const straight = tinyModel();
  train(straight, DATA, { ...OPTS, epochs: 6 });
  const interrupted = tinyModel();
  const opt = train(interrupted, DATA, { ...OPTS, epochs: 6, maxSteps: 7 }); // stops mid-epoch
  equal(opt.step, 7);
  const resumed = loadCheckpoint(saveModel(interrupted, { optimizer: opt }));
  equal(resumed.optimizer?.step, 7);
  train(resumed.model, DATA, { ...OPTS, epochs: 6, optimizer: resumed.optimizer });
  deepEqual(saveModel(resumed.model), saveModel(straight));
});

Deno.test("corrupt, truncated and mismatched checkpoints give a clear error", async () => {
  const bytes = saveModel(tinyModel());
  await rejects(loadModel(new Uint8Array(3)), CheckpointError);
  await rejects(loadModel(bytes.subarray(0, 100)), /truncated/);
  await rejects(loadModel(bytes.subarray(0, bytes.length - 10)), /it is truncated/);
  const garbled = bytes.slice();
  garbled[8] = 0x78; // "x" where the header's "{" was
  await rejects(loadModel(garbled), /does not start with '\{'/);
  // A header that renames a tensor.
  const renamed = editHeader(bytes, (h) => {
    h["generator.bias_"] = h["generator.bias"];
    delete h["generator.bias"];
  });
  await rejects(loadModel(renamed), /tensor "generator.bias_" is not a parameter/);
  // A shape that disagrees with the config (same number of values, transposed).
  const reshaped = editHeader(bytes, (h) => {
    h["generator.weight"].shape = [16, 6];
  });
  await rejects(
    loadModel(reshaped),
    /tensor "generator.weight" has shape \[16, 6\], expected \[6, 16\]/,
  );
  // A valid safetensors file from elsewhere (a raw PyTorch export) is named as such.
  const foreign = new TextEncoder().encode('{"__metadata__":{"format":"pt"}}');
  const file = new Uint8Array(8 + foreign.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(foreign.length), true);
  file.set(foreign, 8);
  assertThrows(() => loadCheckpoint(file), CheckpointError, 'format "pt"');
});

Deno.test("16-bit checkpoints: half the size, weights rounded to the nearest half", async () => {
  const m = tinyModel();
  train(m, DATA, OPTS);
  const full = saveModel(m), half = saveModel(m, { dtype: "F16" });
  if (!(half.length < full.length * 0.6)) throw new Error(`${half.length} vs ${full.length} bytes`);
  const copy = await loadModel(half);
  const a = m.core.params.values.toArray(), b = copy.core.params.values.toArray();
  for (let i = 0; i < a.length; i++) {
    // f16 has 11 significant bits: relative rounding error at most 2^-11.
    if (Math.abs(a[i] - b[i]) > Math.abs(a[i]) * 2 ** -11 + 6e-8) {
      throw new Error(`weight ${i}: ${a[i]} → ${b[i]}`);
    }
  }
  // Exact for values a half represents.
  const exact = createModel("statquest", { srcVocab: vocab, tgtVocab: vocab });
  for (const e of exact.core.params.entries) {
    exact.core.params.get(e.name).set(new Float32Array(e.size).map((_, i) => (i % 7) * 0.25 - 1));
  }
  const back = await loadModel(saveModel(exact, { dtype: "F16" }));
  for (const e of exact.core.params.entries) {
    deepEqual(back.core.params.get(e.name).toArray(), exact.core.params.get(e.name).toArray());
  }
});

Deno.test("a non-finite loss stops training with a clear error and the weights untouched", () => {
  const m = tinyModel();
  const name = m.core.params.entries[3].name;
  const w = m.core.params.get(name);
  const values = w.toArray();
  values[0] = NaN;
  w.set(values);
  const before = saveModel(m);
  assertThrows(() => train(m, DATA, OPTS), TrainingDivergedError, "the weights were not updated");
  deepEqual(saveModel(m), before);
});
