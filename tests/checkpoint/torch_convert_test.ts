// The PyTorch converters on every kind of checkpoint this package writes: the textbook
// statquest (hand-built twin), a BPE model with shared and tied embeddings and optimizer
// state, and the shipped model. Converted to PyTorch, each computes our logits; converted
// back, it holds our weights exactly. Needs /usr/bin/python3 with torch (.ci/run
// installs python3-torch); outside CI, without torch, the test says so and is ignored.
import { deepEqual, equal } from "node:assert/strict";
import { loadModel, saveModel } from "../../src/checkpoint/checkpoint.ts";
import { statquestModel } from "../../models/statquest.ts";
import { createModel, type Transformer } from "../../src/model/model.ts";
import { BpeCodec } from "../../src/text/bpe.ts";
import { Adam } from "../../src/train/optimizer.ts";
import { train } from "../../src/train/train.ts";
import { defaultModelBytes } from "../../models/default.ts";

const PYTHON = "/usr/bin/python3";
const tools = new URL("../../tools/", import.meta.url).pathname;

async function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { code: 127, stdout: "", stderr: String(e) };
  }
}

const hasTorch = (await python(["-c", "import torch"])).code === 0;
const inCi = Deno.env.get("CI") === "true";
if (!hasTorch && !inCi) {
  console.warn("torch_convert_test: /usr/bin/python3 has no torch here; ignored (CI installs it).");
}

// Logits of the converted PyTorch module for a padded batch, as JSON.
const LOGITS = `
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from torch_model import build
out = sys.argv[2]
config = json.load(open(out + "/config.json"))
model = build(config)
model.load_state_dict(torch.load(out + "/model.pt"))
model.eval()
src, tgt = json.loads(sys.argv[3]), json.loads(sys.argv[4])
def pad(seqs):
    n = max(len(s) for s in seqs)
    return (torch.tensor([s + [0] * (n - len(s)) for s in seqs]),
            torch.tensor([[i >= len(s) for i in range(n)] for s in seqs]))
s, sp = pad(src)
t, tp = pad(tgt)
with torch.no_grad():
    print(json.dumps(model(s, sp, t, tp).flatten().tolist()))
print(type(model).__name__, file=sys.stderr)
`;

async function roundTrip(label: string, bytes: Uint8Array, src: number[][], tgt: number[][]) {
  const dir = await Deno.makeTempDir();
  // 32-bit products: PyTorch computes with the (dequantized) weights in 32 bits too.
  const model: Transformer = await loadModel(bytes, { threads: 1, int8: false });
  try {
    await Deno.writeFile(`${dir}/in.safetensors`, bytes);
    const to = await python([
      `${tools}safetensors_to_torch.py`,
      `${dir}/in.safetensors`,
      `${dir}/pt`,
    ]);
    equal(to.code, 0, `${label}: ${to.stderr}`);
    const run = await python([
      "-c",
      LOGITS,
      tools,
      `${dir}/pt`,
      JSON.stringify(src),
      JSON.stringify(tgt),
    ]);
    equal(run.code, 0, `${label}: ${run.stderr}`);
    const theirs = JSON.parse(run.stdout) as number[];
    const ours = model.logits(src, tgt);
    equal(theirs.length, ours.length, label);
    // Only positions that are not padding: both frameworks leave those undefined-ish.
    const T = Math.max(...tgt.map((t) => t.length)), V = model.config.tgtVocab;
    let scale = 0, worst = 0;
    tgt.forEach((t, b) => {
      for (let i = 0; i < t.length; i++) {
        for (let v = 0; v < V; v++) {
          const at = (b * T + i) * V + v;
          scale = Math.max(scale, Math.abs(ours[at]));
          worst = Math.max(worst, Math.abs(ours[at] - theirs[at]));
        }
      }
    });
    // f32 in both, summation orders differ: 1e-4 of the logits' scale.
    if (!(worst <= 1e-4 * Math.max(1, scale))) {
      throw new Error(`${label}: logits differ by ${worst} (scale ${scale}), module ${run.stderr}`);
    }
    const back = await python([
      `${tools}torch_to_safetensors.py`,
      `${dir}/pt/model.pt`,
      `${dir}/pt/config.json`,
      `${dir}/pt/src_vocab.txt`,
      `${dir}/pt/tgt_vocab.txt`,
      `${dir}/back.safetensors`,
      `${dir}/pt/tokenizer.json`,
    ]);
    equal(back.code, 0, `${label}: ${back.stderr}`);
    const copy = await loadModel(await Deno.readFile(`${dir}/back.safetensors`), { threads: 1 });
    deepEqual(copy.core.params.values.toArray(), model.core.params.values.toArray(), label);
    deepEqual(copy.config, model.config, label);
    equal(copy.codec.kind, model.codec.kind, label);
    copy.close();
    return run.stderr.trim().split("\n").pop();
  } finally {
    model.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "tools/: every checkpoint kind converts to PyTorch (same logits) and back (same weights)",
  ignore: !hasTorch && !inCi,
  fn: async () => {
    const statquest = await roundTrip("statquest", saveModel(statquestModel()), [[0, 2, 3], [
      1,
      2,
      3,
    ]], [
      [3, 1],
      [
        3,
      ],
    ]);
    equal(statquest, "HandBuilt"); // nn.Transformer cannot express the StatQuest model

    const pairs = [
      { source: "I am hungry.", target: "Tengo hambre." },
      { source: "let's go", target: "Vamos." },
    ];
    const bpe = BpeCodec.train(pairs.flatMap((p) => [p.source, p.target]), { vocabSize: 290 });
    const small = createModel("small", {
      srcVocab: bpe.vocabulary,
      tgtVocab: bpe.vocabulary,
      codec: bpe,
      threads: 1,
      seed: 2,
      overrides: {
        dModel: 16,
        heads: 2,
        dFF: 24,
        shareEmbeddings: true,
        tieOutput: true,
        startToken: "sos",
      },
    });
    const optimizer = new Adam(small.core.params, 16, { warmup: 5 });
    train(small, pairs, { epochs: 3, batchTokens: 64, optimizer });
    const ids = pairs.map((p) => small.encodeSource(p.source));
    equal(
      await roundTrip("bpe", saveModel(small, { optimizer }), ids, [[1, 40, 41], [1, 50]]),
      "Seq2Seq",
    );
    small.close();

    const shipped = await loadModel(await defaultModelBytes(), { threads: 1 });
    const sentence = shipped.encodeSource("Where is the bathroom?");
    shipped.close();
    equal(
      await roundTrip("shipped", await defaultModelBytes(), [sentence, sentence.slice(2)], [[
        1,
        300,
        20,
      ], [
        1,
      ]]),
      "Seq2Seq",
    );
  },
});
