// The loader refuses every file that breaks the safetensors rules or the documented
// checkpoint format, with a CheckpointError that names the problem, before allocating
// anything the file claims to need.
import { equal, rejects } from "node:assert/strict";
import { CheckpointError, loadModel, saveModel } from "../../src/checkpoint/checkpoint.ts";
import { statquestModel } from "../../models/statquest.ts";
import { createModel } from "../../src/model/model.ts";
import { BpeCodec } from "../../src/text/bpe.ts";
import { Adam } from "../../src/train/optimizer.ts";
import { CONFIG_LIMITS } from "../../src/model/config.ts";
import { editConfig, editHeader, editMetadata, joinFile, splitFile } from "../_safetensors_edit.ts";

const statquest = saveModel(statquestModel());

async function refused(bytes: Uint8Array, message: RegExp): Promise<void> {
  await rejects(loadModel(bytes, { threads: 1 }), (e: Error) => {
    if (!(e instanceof CheckpointError)) throw e;
    if (!message.test(e.message)) throw new Error(`"${e.message}" does not match ${message}`);
    return true;
  });
}

Deno.test("config sizes past the documented limits are refused before any allocation", async () => {
  const rss = Deno.memoryUsage().rss;
  for (
    const [field, value] of [
      ["encoderLayers", 1e9],
      ["decoderLayers", 1e6],
      ["dFF", 9e7],
      ["dModel", 1e9],
      ["srcVocab", 2 ** 40],
      ["heads", 1e6],
    ] as const
  ) {
    await refused(editConfig(statquest, field, value), new RegExp(`${field} must be an integer`));
  }
  // maxLen bounds decoding: a model that never emits <EOS> stops after maxLen tokens.
  await refused(
    editConfig(statquest, "maxLen", 100000),
    /maxLen must be an integer from 2 to 1024/,
  );
  equal(CONFIG_LIMITS.maxLen, 1024);
  // Within the limits but too big in all: the memory estimate refuses it.
  await refused(
    editConfig(
      editConfig(editConfig(statquest, "dModel", 8192), "dFF", 65536),
      "encoderLayers",
      64,
    ),
    /GiB/,
  );
  if (Deno.memoryUsage().rss - rss > 200 * 2 ** 20) throw new Error("memory grew");
});

Deno.test("safetensors structure: header, offsets, holes, overlaps, trailing bytes", async () => {
  const { header, data } = splitFile(statquest);
  const n = Number(new DataView(statquest.buffer).getBigUint64(0, true));
  const shifted = statquest.slice();
  new DataView(shifted.buffer).setBigUint64(0, BigInt(n - 1), true); // off by one
  await refused(shifted, /after the last tensor|not valid JSON/);
  const longer = statquest.slice();
  new DataView(longer.buffer).setBigUint64(0, BigInt(n + 1), true);
  await refused(longer, /not valid JSON|truncated|UTF-8/);
  const huge = statquest.slice();
  new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
  await refused(huge, /more than the 100000000 allowed/);
  const first = Object.keys(header).find((k) => k !== "__metadata__")!;
  await refused(
    editHeader(statquest, (h) => {
      const [a, b] = h[first].data_offsets;
      h[first].data_offsets = [a + 2, b + 2];
    }),
    /overlaps|hole/,
  );
  await refused(
    editHeader(statquest, (h) => {
      for (const k of Object.keys(h)) {
        if (k === "__metadata__") continue;
        const [a, b] = h[k].data_offsets;
        h[k].data_offsets = [0, b - a];
      }
    }),
    /overlaps/,
  );
  const withHole = new Uint8Array(data.length + 4);
  withHole.set(data, 4);
  await refused(
    joinFile(
      Object.fromEntries(
        Object.entries(header).map(([k, v]) =>
          k === "__metadata__"
            ? [k, v]
            : [k, { ...v, data_offsets: [v.data_offsets[0] + 4, v.data_offsets[1] + 4] }]
        ),
      ),
      withHole,
    ),
    /hole before tensor/,
  );
  const twice = new Uint8Array(2 * statquest.length);
  twice.set(statquest);
  twice.set(statquest, statquest.length);
  await refused(twice, /bytes after the last tensor/);
  await refused(statquest.subarray(0, statquest.length - 1), /truncated/);
  const text = JSON.stringify(header);
  const dup = text.slice(0, -1) + `,${JSON.stringify(first)}:${JSON.stringify(header[first])}}`;
  await refused(joinFile(dup, data), new RegExp(`"${first}" twice`));
});

Deno.test("every tensor exactly once, with its dtype and shape; nothing unknown", async () => {
  const { header, data } = splitFile(statquest);
  const extra = { ...header };
  extra["optimizer.exp_avg"] = {
    dtype: "F32",
    shape: [2],
    data_offsets: [data.length, data.length + 8],
  };
  const more = new Uint8Array(data.length + 8);
  more.set(data);
  await refused(joinFile(extra, more), /optimizer state, but the metadata has no "optimizer"/);
  await refused(
    editHeader(statquest, (h) => {
      h["src_embed.weight"].dtype = "I32";
    }),
    /dtype "I32"/,
  );
  await refused(
    editHeader(statquest, (h) => {
      h["src_embed.weight"].extra = 1;
    }),
    /exactly dtype, shape and data_offsets/,
  );
});

Deno.test("metadata values of the wrong kind are refused, naming the key", async () => {
  await refused(
    editMetadata(statquest, "tokenizer", "toString"),
    /tokenizer "toString" is unknown/,
  );
  await refused(
    editMetadata(statquest, "tokenizer", "__proto__"),
    /tokenizer "__proto__" is unknown/,
  );
  await refused(editMetadata(statquest, "optimizer", "null"), /"optimizer" must be/);
  await refused(editMetadata(statquest, "optimizer", "{}"), /"optimizer" must be/);
  await refused(
    editMetadata(statquest, "optimizer", '{"step":"abc","options":{}}'),
    /step must be/,
  );
  await refused(
    editMetadata(statquest, "src_vocab", '["let\'s", 1, "go", "<EOS>"]'),
    /array of strings/,
  );
  await refused(editMetadata(statquest, "src_vocab", '["go", "go", "to", "<EOS>"]'), /twice/);
  await refused(editMetadata(statquest, "config", 42), /"config" is not a string/);
  await refused(editMetadata(statquest, "seed", "abc"), /"seed" has a value of the wrong kind/);
  await refused(editConfig(statquest, "activation", "toString"), /activation must be/);
  await refused(editConfig(statquest, "surprise", 1), /unknown field "surprise"/);
  await refused(editConfig(statquest, "dropout", undefined), /"dropout" is missing/);
  // A tokenizer whose merges do not fit its vocabulary.
  const bpe = BpeCodec.train(["let's go", "Vamos.", "to go", "Ir."], { vocabSize: 280 });
  const model = createModel("small", {
    srcVocab: bpe.vocabulary,
    tgtVocab: bpe.vocabulary,
    codec: bpe,
    threads: 1,
    overrides: { dModel: 8, heads: 2, dFF: 8, shareEmbeddings: true, tieOutput: true },
  });
  const optimizer = new Adam(model.core.params, 8);
  const bytes = saveModel(model, { optimizer });
  equal((await loadModel(bytes, { threads: 1 })).translate("to go").length >= 0, true);
  await refused(editMetadata(bytes, "bpe_merges", "[[1]]"), /bpe_merges\[0\]/);
  await refused(editMetadata(bytes, "tokenizer", "word"), /"word" but the metadata has BPE/);
  const merges = JSON.parse(splitFile(bytes).header.__metadata__.bpe_merges);
  await refused(
    editMetadata(bytes, "bpe_merges", JSON.stringify(merges.slice(1))),
    /not the one the BPE merges define|not a pair of tokens known/,
  );
  await refused(
    editMetadata(bytes, "optimizer", '{"step":3,"options":{"schedule":"noam","lr":"x"}}'),
    /option/,
  );
});
