// Seeded fuzzing of the checkpoint loader: thousands of mutated files of the textbook
// statquest, a BPE model with optimizer state and the shipped model. Every case must either
// load a working model or throw CheckpointError: no other exception, no case over 10 s,
// no memory blow-up. Mutations that necessarily break the file's structure must be
// refused, not loaded.
import { AssertionError } from "node:assert/strict";
import { CheckpointError, loadModel, saveModel } from "../../src/checkpoint/checkpoint.ts";
import { createModel } from "../../src/model/model.ts";
import { statquestModel } from "../../models/statquest.ts";
import { BpeCodec } from "../../src/text/bpe.ts";
import { toExamples, train } from "../../src/train/train.ts";
import { Adam } from "../../src/train/optimizer.ts";
import { defaultModelBytes } from "../../models/default.ts";
import { VamosError } from "../../src/errors.ts";
import { rng } from "../_helpers.ts";
import { editConfig, editHeader, editMetadata, joinFile, splitFile } from "../_safetensors_edit.ts";

type Rand = () => number;
// A mutation: the mutated file, and whether it must be refused.
type Mutation = (bytes: Uint8Array, r: Rand) => { bytes: Uint8Array; mustFail: boolean };

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const NASTY: unknown[] = [
  1e9,
  1e6,
  9e7,
  100000,
  -1,
  0,
  2.5,
  "abc",
  null,
  true,
  [],
  {},
  "toString",
  2 ** 31,
  1e308,
  -0,
  "1",
];

function tensorNames(bytes: Uint8Array): string[] {
  return Object.keys(splitFile(bytes).header).filter((k) => k !== "__metadata__");
}

const MUTATIONS: Record<string, Mutation> = {
  "header length": (bytes, r) => {
    const out = bytes.slice();
    const dv = new DataView(out.buffer);
    const n = dv.getBigUint64(0, true);
    const choice = r();
    if (choice < 0.7) dv.setBigUint64(0, n + BigInt(pick(r, [-8, -3, -2, -1, 1, 2, 3, 8])), true);
    else {dv.setBigUint64(
        0,
        pick(r, [0n, 2n ** 32n, 2n ** 63n, BigInt(out.length), 2n ** 64n - 1n]),
        true,
      );}
    return { bytes: out, mustFail: true };
  },
  "truncated": (bytes, r) => ({
    bytes: bytes.slice(0, int(r, 0, bytes.length - 1)),
    mustFail: true,
  }),
  "trailing bytes": (bytes, r) => {
    if (r() < 0.3) {
      const twice = new Uint8Array(2 * bytes.length);
      twice.set(bytes);
      twice.set(bytes, bytes.length);
      return { bytes: twice, mustFail: true };
    }
    const extra = new Uint8Array(int(r, 1, 64)).map(() => int(r, 0, 255));
    const out = new Uint8Array(bytes.length + extra.length);
    out.set(bytes);
    out.set(extra, bytes.length);
    return { bytes: out, mustFail: true };
  },
  "header bytes": (bytes, r) => {
    const out = bytes.slice();
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    for (let k = int(r, 1, 4); k > 0; k--) out[8 + int(r, 0, n - 1)] = int(r, 0, 255);
    return { bytes: out, mustFail: false };
  },
  "data bytes": (bytes, r) => {
    const out = bytes.slice();
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    for (let k = int(r, 1, 8); k > 0; k--) out[int(r, 8 + n, out.length - 1)] = int(r, 0, 255);
    return { bytes: out, mustFail: false };
  },
  "data offsets": (bytes, r) => {
    const names = tensorNames(bytes);
    const a = pick(r, names), b = pick(r, names.filter((x) => x !== a));
    const kind = int(r, 0, 6);
    const out = editHeader(bytes, (h) => {
      const o = h[a].data_offsets;
      if (kind === 0) h[a].data_offsets = [o[0] + 2, o[1] + 2]; // shifted
      else if (kind === 1) [h[a].data_offsets, h[b].data_offsets] = [h[b].data_offsets, o]; // swapped
      else if (kind === 2) h[a].data_offsets = [0, o[1] - o[0]]; // at byte 0
      else if (kind === 3) h[a].data_offsets = [o[1], o[0]]; // reversed
      else if (kind === 4) h[a].data_offsets = [o[0] - 4, o[1] - 4]; // overlapping
      else if (kind === 5) h[a].data_offsets = pick(r, [[-4, 0], [0.5, 4], ["0", "4"], [0], null]);
      else {
        for (const name of names) {
          const t = h[name].data_offsets;
          h[name].data_offsets = [0, t[1] - t[0]]; // every tensor at byte 0
        }
      }
    });
    const h = splitFile(bytes).header;
    const size = (x: string) => h[x].data_offsets[1] - h[x].data_offsets[0];
    // Unchanged (the first tensor moved to byte 0), or two tensors of one shape swapped:
    // the file is still consistent, with other weights.
    const consistent = out.length === bytes.length && out.every((x, i) => x === bytes[i]) ||
      kind === 1 && size(a) === size(b) && h[a].shape.join() === h[b].shape.join();
    return { bytes: out, mustFail: !consistent };
  },
  "holes": (bytes, r) => {
    const { header, data } = splitFile(bytes);
    const names = tensorNames(bytes);
    const after = pick(r, names);
    const gap = int(r, 1, 16);
    const end = header[after].data_offsets[1];
    for (const name of names) {
      const o = header[name].data_offsets;
      if (o[0] >= end) header[name].data_offsets = [o[0] + gap, o[1] + gap];
    }
    const out = new Uint8Array(data.length + gap);
    out.set(data.subarray(0, end));
    out.set(data.subarray(end), end + gap);
    return { bytes: joinFile(header, out), mustFail: true };
  },
  "tensor set": (bytes, r) => {
    const names = tensorNames(bytes);
    const a = pick(r, names);
    const kind = int(r, 0, 4);
    if (kind === 0) {
      // delete an entry (its bytes become a hole or trailing bytes)
      return { bytes: editHeader(bytes, (h) => void delete h[a]), mustFail: true };
    }
    if (kind === 1) {
      // a duplicate key in the raw JSON text
      const { header, data } = splitFile(bytes);
      const text = JSON.stringify(header);
      const entry = JSON.stringify(header[a]);
      const dup = text.slice(0, -1) + `,${JSON.stringify(a)}:${entry}}`;
      return { bytes: joinFile(dup, data), mustFail: true };
    }
    // an extra tensor, with its bytes: unknown name, or optimizer state, or a stray copy
    const name = kind === 2
      ? pick(r, ["optimizer.exp_avg", "optimizer.exp_avg_sq", "optimizer.extra"])
      : kind === 3
      ? "encoder.layers.99.linear1.weight"
      : `${a}.copy`;
    const { header, data } = splitFile(bytes);
    if (name in header) {
      return { bytes: editHeader(bytes, (h) => void delete h[name]), mustFail: true };
    }
    const count = int(r, 1, 8);
    header[name] = {
      dtype: "F32",
      shape: [count],
      data_offsets: [data.length, data.length + 4 * count],
    };
    const out = new Uint8Array(data.length + 4 * count);
    out.set(data);
    return { bytes: joinFile(header, out), mustFail: true };
  },
  "dtype and shape": (bytes, r) => {
    const a = pick(r, tensorNames(bytes));
    const kind = int(r, 0, 2);
    return {
      bytes: editHeader(bytes, (h) => {
        if (kind === 0) h[a].dtype = pick(r, ["F16", "BF16", "I32", "F64", "f32", "", 4]);
        else if (kind === 1) h[a].shape = [...h[a].shape, pick(r, [2, 0, 3])];
        else h[a].shape = pick(r, [[-1], [1e9, 1e9], ["4"], null, [2.5], [2 ** 53, 2]]);
      }),
      mustFail: true,
    };
  },
  "config": (bytes, r) => {
    const field = pick(r, [
      "srcVocab",
      "tgtVocab",
      "dModel",
      "heads",
      "encoderLayers",
      "decoderLayers",
      "dFF",
      "maxLen",
      "dropout",
      "normEps",
      "activation",
      "norm",
      "startToken",
      "finalNorm",
      "tieOutput",
      "shareEmbeddings",
      "unknownField",
    ]);
    return {
      bytes: r() < 0.1
        ? editConfig(bytes, field, undefined)
        : editConfig(bytes, field, pick(r, NASTY)),
      mustFail: false,
    };
  },
  "vocabulary": (bytes, r) => {
    const key = pick(r, ["src_vocab", "tgt_vocab"]);
    const { header } = splitFile(bytes);
    const tokens = JSON.parse(header.__metadata__[key]) as unknown[];
    const kind = int(r, 0, 4);
    const t = tokens.slice();
    if (kind === 0) t[int(r, 0, t.length - 1)] = pick(r, [1, null, 2.5, {}, []]);
    else if (kind === 1) t[int(r, 0, t.length - 1)] = t[int(r, 0, t.length - 1)];
    else if (kind === 2) t.pop();
    else if (kind === 3) t.push("extra");
    else {return {
        bytes: editMetadata(bytes, key, pick(r, ["", "{}", "[", "null", "42"])),
        mustFail: true,
      };}
    return { bytes: editMetadata(bytes, key, JSON.stringify(t)), mustFail: false };
  },
  "tokenizer": (bytes, r) => ({
    bytes: editMetadata(
      bytes,
      "tokenizer",
      pick(r, ["toString", "__proto__", "constructor", "hasOwnProperty", "bpe", "word", "", "BPE"]),
    ),
    mustFail: false,
  }),
  "bpe": (bytes, r) => {
    const { header } = splitFile(bytes);
    const m = header.__metadata__;
    if (!m.bpe_merges) {
      return { bytes: editMetadata(bytes, "bpe_merges", "[[1]]"), mustFail: true };
    }
    const merges = JSON.parse(m.bpe_merges) as unknown[];
    const chars = JSON.parse(m.bpe_chars) as unknown[];
    const kind = int(r, 0, 5);
    if (kind === 0) return { bytes: editMetadata(bytes, "bpe_merges", "[[1]]"), mustFail: true };
    if (kind === 1) {
      merges.splice(int(r, 0, merges.length - 1), 1);
      return { bytes: editMetadata(bytes, "bpe_merges", JSON.stringify(merges)), mustFail: true };
    }
    if (kind === 2) {
      const i = int(r, 0, merges.length - 1);
      merges[i] = pick(r, [["a"], ["a", "b", "c"], [1, 2], "ab", null, ["zz", "qq"]]);
      return { bytes: editMetadata(bytes, "bpe_merges", JSON.stringify(merges)), mustFail: true };
    }
    if (kind === 3) {
      chars[int(r, 0, chars.length - 1)] = pick(r, ["ab", 7, "", chars[0]]);
      return { bytes: editMetadata(bytes, "bpe_chars", JSON.stringify(chars)), mustFail: true };
    }
    if (kind === 4) return { bytes: editMetadata(bytes, "bpe_chars", undefined), mustFail: true };
    return {
      bytes: editMetadata(bytes, "bpe_merges", pick(r, ["{}", "null", "[", '"x"'])),
      mustFail: true,
    };
  },
  "optimizer metadata": (bytes, r) => {
    const { header } = splitFile(bytes);
    const has = "optimizer" in header.__metadata__;
    const kind = int(r, 0, 3);
    if (kind === 0 && has) {
      // the moments without the metadata that explains them
      return { bytes: editMetadata(bytes, "optimizer", undefined), mustFail: true };
    }
    if (kind === 1 && has) {
      // the metadata without one of the moments
      const name = pick(r, ["optimizer.exp_avg", "optimizer.exp_avg_sq"]);
      const { data } = splitFile(bytes);
      const [a, b] = header[name].data_offsets;
      delete header[name];
      for (const t of Object.values(header)) {
        if (t.data_offsets && t.data_offsets[0] >= b) {
          t.data_offsets = [t.data_offsets[0] - (b - a), t.data_offsets[1] - (b - a)];
        }
      }
      const out = new Uint8Array(data.length - (b - a));
      out.set(data.subarray(0, a));
      out.set(data.subarray(b), a);
      return { bytes: joinFile(header, out), mustFail: true };
    }
    const value = pick(r, [
      "null",
      "{}",
      '{"step":"abc"}',
      '{"step":-1,"options":{}}',
      '{"step":1e300,"options":{}}',
      '{"step":3,"options":{"schedule":"noam","lr":"x"}}',
      '{"step":3,"options":null}',
      "[",
      "42",
    ]);
    return { bytes: editMetadata(bytes, "optimizer", value), mustFail: true };
  },
  "metadata types": (bytes, r) => {
    const kind = int(r, 0, 4);
    if (kind === 0) {
      return {
        bytes: editMetadata(
          bytes,
          pick(r, ["config", "src_vocab", "format", "tokenizer"]),
          pick(r, [
            42,
            null,
            { a: 1 },
            ["x"],
            true,
          ]),
        ),
        mustFail: true,
      };
    }
    if (kind === 1) {
      return {
        bytes: editHeader(bytes, (h) => void (h.__metadata__ = pick(r, [[], "x", 1, null]))),
        mustFail: true,
      };
    }
    if (kind === 2) {
      return {
        bytes: editMetadata(bytes, "format", pick(r, ["vamos-transformer/2", "", "pt"])),
        mustFail: true,
      };
    }
    if (kind === 3) {
      const [key, value] = pick(r, [
        ["seed", "abc"],
        ["split", "{}"],
        ["split", '{"dev":0.5,"test":0.6,"seed":1}'],
        ["data_sha256", "xyz"],
        ["textbook", "maybe"],
        ["steps", "-3"],
        ["preset", "toString"],
        ["train_options", "[]"],
        ["train_options", '{"dev":0.6,"test":0.6}'],
        ["train_options", '{"lr":"fast"}'],
        ["train_options", '{"preset":"toString"}'],
        ["train_options", '{"learning_rate":1}'],
      ]);
      return { bytes: editMetadata(bytes, key, value), mustFail: true };
    }
    return { bytes: editMetadata(bytes, "a user's note", "anything goes"), mustFail: false };
  },
};

interface Tally {
  loaded: number;
  refused: number;
}

async function fuzz(
  label: string,
  bytes: Uint8Array,
  cases: number,
  seed: number,
  sentence: string,
  tally: Map<string, Tally>,
): Promise<void> {
  const r = rng(seed);
  const classes = Object.keys(MUTATIONS);
  for (let i = 0; i < cases; i++) {
    const kind = classes[i % classes.length];
    const { bytes: mutated, mustFail } = MUTATIONS[kind](bytes, r);
    const t0 = performance.now();
    let loaded = false;
    try {
      const model = await loadModel(mutated, { threads: 1 });
      loaded = true;
      try {
        model.translate(sentence); // a loaded model must work (or say why it cannot)
      } catch (e) {
        if (!(e instanceof VamosError)) throw e;
      }
    } catch (e) {
      if (!(e instanceof CheckpointError) && !(loaded && e instanceof VamosError)) {
        throw new AssertionError({
          message: `${label}, case ${i} (${kind}): ${(e as Error)?.stack ?? e}`,
        });
      }
    }
    const ms = performance.now() - t0;
    if (ms > 10_000) {
      throw new AssertionError({ message: `${label}, case ${i} (${kind}) took ${ms} ms` });
    }
    if (loaded && mustFail) {
      throw new AssertionError({ message: `${label}, case ${i} (${kind}) loaded but is broken` });
    }
    const t = tally.get(kind) ?? { loaded: 0, refused: 0 };
    if (loaded) t.loaded++;
    else t.refused++;
    tally.set(kind, t);
  }
  const rss = Deno.memoryUsage().rss;
  if (rss > 4 * 2 ** 30) {
    throw new AssertionError({ message: `${label}: ${(rss / 2 ** 20).toFixed(0)} MB resident` });
  }
}

function bpeCheckpoint(): Uint8Array {
  const pairs = [
    { source: "I am hungry.", target: "Tengo hambre." },
    { source: "Where is the bathroom?", target: "¿Dónde está el baño?" },
    { source: "let's go", target: "Vamos." },
  ];
  const bpe = BpeCodec.train(pairs.flatMap((p) => [p.source, p.target]), { vocabSize: 300 });
  const model = createModel("small", {
    srcVocab: bpe.vocabulary,
    tgtVocab: bpe.vocabulary,
    codec: bpe,
    threads: 1,
    overrides: {
      dModel: 16,
      heads: 2,
      dFF: 32,
      shareEmbeddings: true,
      tieOutput: true,
      startToken: "sos",
    },
  });
  const optimizer = new Adam(model.core.params, 16, { warmup: 10 });
  train(model, toExamples(model, pairs).examples, { epochs: 2, batchTokens: 64, optimizer });
  return saveModel(model, {
    optimizer,
    metadata: { seed: "3", split: '{"dev":0.02,"test":0.02,"seed":3}', steps: "2" },
  });
}

Deno.test("fuzzed checkpoints load as working models or raise CheckpointError", async () => {
  const tally = new Map<string, Tally>();
  await fuzz("statquest", saveModel(statquestModel()), 600, 1, "let's go", tally);
  await fuzz("bpe+optimizer", bpeCheckpoint(), 450, 2, "I am hungry.", tally);
  await fuzz("shipped", (await defaultModelBytes()).slice(), 150, 3, "I am hungry.", tally);
  const total = [...tally.values()].reduce((n, t) => n + t.loaded + t.refused, 0);
  if (total < 1000) throw new AssertionError({ message: `only ${total} cases` });
  console.log(
    [...tally].map(([k, t]) => `${k}: ${t.refused} refused, ${t.loaded} loaded`).join("; "),
  );
});
