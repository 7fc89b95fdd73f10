// Checkpoint averaging: the element-wise mean of the weights, refused across models;
// the CLI writes it.
import { deepEqual, equal, match, throws } from "node:assert/strict";
import { averageCheckpoints } from "../../src/checkpoint/average.ts";
import { CheckpointError, loadCheckpoint, saveModel } from "../../src/checkpoint/checkpoint.ts";
import { createModel } from "../../src/model/model.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { Adam } from "../../src/train/optimizer.ts";

const vocab = new Vocabulary(["a", "b", "c", "<SOS>", "<EOS>"]);
const model = (seed: number, dModel = 8) =>
  createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed,
    threads: 1,
    overrides: { dModel, heads: 2, dFF: 8, maxLen: 8 },
  });

Deno.test("averaging checkpoints is the element-wise mean of their weights", async () => {
  const ms = [model(1), model(2), model(3)];
  const files = ms.map((m, i) =>
    saveModel(m, { optimizer: new Adam(m.core.params, 8), metadata: { steps: String(i) } })
  );
  const avg = loadCheckpoint(averageCheckpoints(files), { threads: 1 });
  const values = ms.map((m) => m.core.params.values.toArray());
  const want = values[0].map((_, j) =>
    Math.fround((values[0][j] + values[1][j] + values[2][j]) / 3)
  );
  deepEqual(avg.model.core.params.values.toArray(), Float32Array.from(want));
  equal(avg.optimizer, undefined);
  equal(avg.metadata.averaged, "3");
  equal(avg.metadata.steps, "2"); // the last checkpoint's record
  equal(avg.metadata.averaged_steps, "[0,1,2]");
  throws(() => averageCheckpoints([files[0], saveModel(model(4, 12))]), CheckpointError);
  throws(() => averageCheckpoints([]), CheckpointError);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.safetensors`, files[0]);
    await Deno.writeFile(`${dir}/b.safetensors`, files[1]);
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "average.ts", ...args],
        cwd: new URL("../../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run([
      "--out",
      `${dir}/avg.safetensors`,
      `${dir}/a.safetensors`,
      `${dir}/b.safetensors`,
    ]);
    equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    const two = loadCheckpoint(await Deno.readFile(`${dir}/avg.safetensors`), { threads: 1 });
    equal(two.metadata.averaged, "2");
    const again = await run([
      "--out",
      `${dir}/avg.safetensors`,
      `${dir}/a.safetensors`,
      `${dir}/b.safetensors`,
    ]);
    equal(again.code, 2);
    match(new TextDecoder().decode(again.stderr), /already exists; pass --force/);
    two.model.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  avg.model.close();
  for (const m of ms) m.close();
});
