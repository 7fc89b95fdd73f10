// 8-bit checkpoints: every matrix int8 with a scale per row, read back within half a
// step of each weight; refused when inconsistent; quantize.ts writes them.
import { equal, match, ok, rejects, throws } from "node:assert/strict";
import {
  CheckpointError,
  INT8_ROWWISE,
  loadCheckpoint,
  loadModel,
  quantizeRows,
  saveModel,
} from "../../src/checkpoint/checkpoint.ts";
import { createModel } from "../../src/model/model.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { Adam } from "../../src/train/optimizer.ts";
import { train } from "../../src/train/train.ts";
import { randomArray } from "../_helpers.ts";
import { editHeader, editMetadata, splitFile } from "../_safetensors_edit.ts";

const vocab = new Vocabulary(["a", "b", "c", "d", "<SOS>", "<EOS>"]);
const model = () =>
  createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed: 5,
    threads: 1,
    overrides: {
      dModel: 16,
      heads: 2,
      dFF: 24,
      maxLen: 10,
      shareEmbeddings: true,
      tieOutput: true,
    },
  });

Deno.test("quantizeRows: symmetric per row, every value within half a step", () => {
  const w = randomArray(7 * 13, 3, 2);
  w.fill(0, 13, 26); // an all-zero row
  const { q, scale } = quantizeRows(w, 7);
  equal(scale[1], 0);
  for (let r = 0; r < 7; r++) {
    let max = 0;
    for (let c = 0; c < 13; c++) max = Math.max(max, Math.abs(w[r * 13 + c]));
    ok(Math.abs(scale[r] - max / 127) <= 1e-7 * max);
    for (let c = 0; c < 13; c++) {
      const i = r * 13 + c;
      ok(Math.abs(q[i]) <= 127);
      ok(Math.abs(q[i] * scale[r] - w[i]) <= scale[r] / 2 * (1 + 1e-6), `row ${r}, col ${c}`);
    }
  }
});

Deno.test("8-bit checkpoints load as models close to the original, a quarter of the size", async () => {
  const m = model();
  const full = saveModel(m), small = saveModel(m, { dtype: "I8" });
  // One byte a matrix weight plus four a row for its scale; vectors stay 4 bytes a value.
  const want = m.core.params.entries.reduce(
    (n, e) => n + (e.shape.length === 2 ? e.size + 4 * e.shape[0] : 4 * e.size),
    0,
  );
  equal(splitFile(small).data.length, want);
  ok(want < splitFile(full).data.length * 0.4);
  const { metadata } = loadCheckpoint(small, { threads: 1 });
  equal(metadata.quantization, INT8_ROWWISE);
  const copy = await loadModel(small, { threads: 1 });
  for (const e of m.core.params.entries) {
    const a = m.core.params.get(e.name).toArray(), b = copy.core.params.get(e.name).toArray();
    const rows = e.shape.length === 2 ? e.shape[0] : 1, cols = a.length / rows;
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(a[r * cols + c]));
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        // Matrices: half a quantization step; vectors: stored exactly.
        const bound = e.shape.length === 2 ? max / 127 / 2 * (1 + 1e-6) : 0;
        ok(Math.abs(a[i] - b[i]) <= bound, `${e.name}[${i}]: ${a[i]} vs ${b[i]}`);
      }
    }
  }
  // Saved again as 8 bits, the weights do not move: quantization is idempotent.
  const again = await loadModel(saveModel(copy, { dtype: "I8" }), { threads: 1 });
  equal(
    again.core.params.values.toArray().join(),
    copy.core.params.values.toArray().join(),
  );
  throws(
    () => saveModel(m, { dtype: "I8", optimizer: new Adam(m.core.params, 16) }),
    CheckpointError,
  );
  m.close();
  copy.close();
  again.close();
});

Deno.test("8-bit checkpoints that do not add up are refused", async () => {
  const small = saveModel(model(), { dtype: "I8" });
  const refuse = (bytes: Uint8Array, message: RegExp) =>
    rejects(loadModel(bytes, { threads: 1 }), (e: Error) => {
      if (!(e instanceof CheckpointError)) throw e;
      match(e.message, message);
      return true;
    });
  // I8 matrices without the quantization metadata, and the metadata without I8.
  await refuse(editMetadata(small, "quantization", undefined), /is I8, but only the matrices/);
  await refuse(
    editMetadata(saveModel(model()), "quantization", INT8_ROWWISE),
    /stores matrices as I8/,
  );
  await refuse(
    editMetadata(small, "quantization", "int4"),
    /"quantization" has a value of the wrong kind/,
  );
  // A missing scale leaves its bytes unaccounted for; a negative one is refused.
  await refuse(
    editHeader(small, (h) => void delete h["src_embed.weight.scale"]),
    /hole|after the last/,
  );
  const { header } = splitFile(small);
  const [begin] = header["src_embed.weight.scale"].data_offsets;
  const negative = small.slice();
  const dataStart = small.length - splitFile(small).data.length;
  new DataView(negative.buffer).setFloat32(dataStart + begin, -1, true);
  await refuse(negative, /negative or not finite/);
});

Deno.test("quantize.ts writes an 8-bit copy of a checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/m.safetensors`, saveModel(model()));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "quantize.ts",
        "--model",
        `${dir}/m.safetensors`,
        "--out",
        `${dir}/q.safetensors`,
      ],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const q = loadCheckpoint(await Deno.readFile(`${dir}/q.safetensors`), { threads: 1 });
    equal(q.metadata.quantization, INT8_ROWWISE);
    q.model.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("8-bit checkpoints infer with 8-bit products, close to the 32-bit ones", async () => {
  const m = model();
  train(m, [{ source: "a b c", target: "c b a" }, { source: "b d", target: "d b" }], {
    epochs: 30,
    schedule: "constant",
    lr: 0.01,
    smoothing: 0,
  });
  const small = saveModel(m, { dtype: "I8" });
  const q = await loadModel(small, { threads: 1 });
  const f = await loadModel(small, { threads: 1, int8: false });
  equal(q.core.params.int8, true);
  equal(f.core.params.int8, false);
  const src = [[0, 1, 2, 5]], tgt = [[4, 2, 1, 0]];
  const close = (a: Float32Array, b: Float32Array, what: string) => {
    let worst = 0, scale = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    ok(worst > 0, `${what}: the 8-bit path was not taken`);
    ok(worst < 0.03 * scale, `${what}: logits differ by ${worst} (largest ${scale})`);
  };
  close(q.logits(src, tgt), f.logits(src, tgt), "loaded");
  equal(q.translate("a b c"), f.translate("a b c"));
  // Training moves the weights: the 8-bit copies follow (training itself is 32-bit).
  const pairs = [{ source: "a b", target: "b a" }];
  for (const x of [q, f]) train(x, pairs, { epochs: 3, schedule: "constant", lr: 0.05 });
  close(q.logits(src, tgt), f.logits(src, tgt), "after training");
  // A 32-bit checkpoint can opt in.
  const opted = await loadModel(saveModel(m), { threads: 1, int8: true });
  equal(opted.core.params.int8, true);
  for (const x of [m, q, f, opted]) x.close();
});
