// ONNX export against onnxruntime-node, onnxruntime-web and transformers.js: logits of
// both graphs beside ours on awkward configurations, greedy tokens on the shipped
// models' test splits (both directions), tokenizer ids on the whole training corpus, and the
// transformers.js translation pipeline on the README's sentences.
import { deepEqual, equal, ok } from "node:assert/strict";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { AutoTokenizer, env, pipeline } from "@huggingface/transformers";
import {
  BpeCodec,
  createModel,
  exportOnnx,
  loadCheckpoint,
  saveModel,
  statquestModel,
  type Transformer,
} from "../../mod.ts";
import { defaultModelBytes } from "../../models/default.ts";
import { esEnModelBytes } from "../../models/es_en.ts";
import type { Direction } from "../../src/text/languages.ts";
import { greedyDecode } from "../../src/model/incremental_decoder.ts";
import { corpus, testSources } from "../_corpus.ts";
import { recordedRun, recordedSplit } from "../../src/checkpoint/run_record.ts";
import { OnnxModel, type Ort } from "../_onnx.ts";
import { run, testInTempDir } from "../_cli.ts";

// Every export's directory, removed when the module's tests end (they were left behind).
const exportDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of exportDirs) Deno.removeSync(dir, { recursive: true });
});

async function writeExport(model: Transformer, int8 = false): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vamos-onnx-" });
  exportDirs.push(dir);
  for (const [path, bytes] of Object.entries(exportOnnx(model, { int8 }))) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(full, bytes);
  }
  return dir;
}

// Largest |a - b| over the first `cols` of each row of `cols`-wide a and `wide`-wide b.
function maxDiff(a: Float32Array, b: Float32Array, rows: number, cols: number, wide = cols) {
  let m = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(a[r * cols + c] - b[r * wide + c]));
  }
  return m;
}

const TOLERANCE = 1e-4; // f32, another summation order and another sin/cos: issue #20's bound

/** Teacher-forced and step-by-step logits of the graphs beside the model's own. */
async function checkLogits(ort: Ort, model: Transformer, dir: string, suffix = "") {
  // onnxruntime's "extended" optimizations turn DequantizeLinear + MatMul into a product
  // with 8-bit activations; "basic" keeps the graphs' arithmetic, which is ours.
  const session = suffix ? { graphOptimizationLevel: "basic" } : {};
  const onnx = await OnnxModel.open(ort, dir, { suffix, session });
  const c = model.config, V = c.tgtVocab;
  const U = (JSON.parse(await Deno.readTextFile(`${dir}/config.json`)) as { vocab_size: number })
    .vocab_size;
  const space = JSON.parse(await Deno.readTextFile(`${dir}/tokenizer.json`)).model.vocab as Record<
    string,
    number
  >;
  const srcTok = model.srcVocab.tokens, tgtTok = model.tgtVocab.tokens;
  const toU = (ids: number[], toks: readonly string[]) => ids.map((i) => space[toks[i]]);
  // Two sources of different lengths (padding), decoder inputs of four tokens.
  const lenA = Math.min(5, c.maxLen), lenB = Math.min(3, c.maxLen);
  const src = [lenA, lenB].map((n, s) =>
    Array.from(
      { length: n },
      (_, i) => (i === n - 1 ? model.srcVocab.eos : (7 * i + 3 * s + 1) % c.srcVocab),
    )
  );
  const T = Math.min(4, c.maxLen);
  const tgtIn = [0, 1].map((s) =>
    Array.from({ length: T }, (_, i) => (i === 0 ? model.startId : (5 * i + s + 2) % V))
  );
  const ours = model.core.logits(src, tgtIn);
  const theirs = await onnx.logits(
    src.map((s) => toU(s, srcTok)),
    tgtIn.map((t) => toU(t, tgtTok)),
  );
  const d1 = maxDiff(ours, theirs, 2 * T, V, U);
  ok(d1 < TOLERANCE, `teacher-forced logits differ by ${d1}`);
  // Step by step with caches: the same steps as our greedy decoding.
  // Ours decodes only unfinished sentences; theirs every sentence at every step.
  const stepsOurs: { logits: Float32Array; sentences: number[] }[] = [];
  const stepsTheirs: Float32Array[] = [];
  const a = greedyDecode(model.core, src, {
    start: model.startId,
    eos: model.tgtVocab.eos,
    onStep: (_, l, sentences) => stepsOurs.push({ logits: l.slice(), sentences: [...sentences] }),
  });
  const b = await onnx.greedy(
    src.map((s) => toU(s, srcTok)),
    (_, l) => stepsTheirs.push(l.slice()),
  );
  deepEqual(b, a.map((ids) => toU(ids, tgtTok)));
  equal(stepsTheirs.length, stepsOurs.length);
  stepsOurs.forEach(({ logits, sentences }, t) => {
    let d = 0;
    sentences.forEach((b, r) => {
      const theirs = stepsTheirs[t].subarray(b * U, (b + 1) * U);
      d = Math.max(d, maxDiff(logits.subarray(r * V, (r + 1) * V), theirs, 1, V, U));
    });
    ok(d < TOLERANCE, `step ${t}: logits differ by ${d}`);
  });
}

function bpeModel(overrides: Record<string, unknown>, seed: number): Transformer {
  const codec = BpeCodec.train(
    ["Let's go.", "¿Dónde está el baño?", "Vamos a la playa.", "I am hungry.", "Tengo hambre."],
    { vocabSize: 320, minCharCount: 1 },
  );
  return createModel("small", {
    srcVocab: codec.vocabulary,
    tgtVocab: codec.vocabulary,
    codec,
    seed,
    threads: 1,
    overrides: { maxLen: 12, ...overrides },
  });
}

Deno.test("onnx: the StatQuest model's graphs give its logits (onnxruntime-node and -web)", async () => {
  const statquest = statquestModel();
  const dir = await writeExport(statquest);
  await checkLogits(ortNode as unknown as Ort, statquest, dir);
  await checkLogits(ortWeb as unknown as Ort, statquest, dir);
  statquest.close();
});

const CONFIGS: [string, Record<string, unknown>][] = [
  ["pre-norm, gelu, odd width, separate tables", {
    norm: "pre",
    activation: "gelu",
    dModel: 15,
    heads: 3,
    dFF: 20,
    encoderLayers: 1,
    decoderLayers: 2,
  }],
  ["post-norm, shared and tied tables", {
    dModel: 16,
    heads: 2,
    dFF: 24,
    shareEmbeddings: true,
    tieOutput: true,
  }],
  ["no norms, biases, scaling or output projection; one head", {
    norm: "none",
    dModel: 8,
    heads: 1,
    dFF: 0,
    attentionBias: false,
    attentionOutProj: false,
    scaleAttention: false,
    scaleEmbedding: false,
    startToken: "eos",
  }],
  ["no encoder layers, no final norm", {
    dModel: 8,
    heads: 2,
    dFF: 8,
    encoderLayers: 0,
    finalNorm: false,
  }],
];

for (const [name, overrides] of CONFIGS) {
  Deno.test(`onnx: graphs give our logits: ${name}`, async () => {
    const model = bpeModel(overrides, 3);
    const dir = await writeExport(model);
    await checkLogits(ortNode as unknown as Ort, model, dir);
    const int8 = await writeExport(model, true);
    // 8-bit weights: the graphs' are those our 8-bit checkpoint would hold.
    const { model: q } = loadCheckpoint(saveModel(model, { dtype: "I8" }), {
      threads: 1,
      int8: false,
    });
    await checkLogits(ortNode as unknown as Ort, q, int8, "_int8");
    model.close();
    q.close();
  });
}

for (
  const [direction, modelBytes, limit] of [
    ["en-es", defaultModelBytes, Infinity],
    // The other direction's first 640 sentences: the same graphs, another vocabulary.
    ["es-en", esEnModelBytes, 640],
  ] as const
) {
  Deno.test(`onnx: the shipped ${direction} model's test split, greedy, tokens equal ours`, () =>
    checkTestSplit(direction, modelBytes, limit));
}

async function checkTestSplit(
  direction: Direction,
  modelBytes: () => Promise<Uint8Array>,
  limit: number,
) {
  const bytes = await modelBytes();
  const { model, metadata } = loadCheckpoint(bytes, { threads: 1, int8: false });
  const { model: model8 } = loadCheckpoint(bytes, { threads: 1 });
  const dir = await writeExport(model);
  const int8Dir = await writeExport(model, true);
  await checkLogits(ortNode as unknown as Ort, model, dir);
  await checkLogits(ortNode as unknown as Ort, model, int8Dir, "_int8");
  equal(recordedRun(metadata).direction ?? "en-es", direction);
  const sources = (await testSources(recordedSplit(metadata)!, direction)).slice(0, limit);
  const src = sources.map((s) => model.encodeSource(s));
  const onnx = await OnnxModel.open(ortNode as unknown as Ort, dir);
  const onnx8 = await OnnxModel.open(ortNode as unknown as Ort, int8Dir, {
    suffix: "_int8",
    session: { graphOptimizationLevel: "basic" },
  });
  const onnx8Fast = await OnnxModel.open(ortNode as unknown as Ort, int8Dir, { suffix: "_int8" });
  let same = 0, same8 = 0, sameInt8Graph = 0, fastVs32 = 0, fastVs8 = 0;
  const differs8: string[] = [];
  for (let i = 0; i < src.length; i += 32) {
    const batch = src.slice(i, i + 32);
    // The graphs score the whole vocabulary, as ours do without the shortlist.
    const ours = model.translateIds(batch, undefined, { beam: 1, shortlist: false });
    const ours8 = model8.translateIds(batch, undefined, { beam: 1, shortlist: false });
    const theirs = await onnx.greedy(batch);
    const theirs8 = await onnx8.greedy(batch);
    const fast = await onnx8Fast.greedy(batch);
    theirs.forEach((t, k) => {
      if (JSON.stringify(fast[k]) === JSON.stringify(ours[k])) fastVs32++;
      if (JSON.stringify(fast[k]) === JSON.stringify(ours8[k])) fastVs8++;
      if (JSON.stringify(t) === JSON.stringify(ours[k])) same++;
      if (JSON.stringify(theirs8[k]) === JSON.stringify(ours[k])) sameInt8Graph++;
      if (JSON.stringify(t) === JSON.stringify(ours8[k])) same8++;
      else differs8.push(sources[i + k]);
    });
  }
  console.log(
    `${direction} test split: ${src.length} sentences; ONNX fp32 greedy = ours (32-bit products) on ${same}, ` +
      `ONNX int8 graphs = ours (32-bit products) on ${sameInt8Graph}, ` +
      `ONNX fp32 = ours with 8-bit products on ${same8}; int8 graphs with onnxruntime's ` +
      `default optimizations (8-bit activations) = ours 32-bit on ${fastVs32}, 8-bit on ${fastVs8}`,
  );
  ok(src.length > Math.min(limit, 1000) - 1);
  equal(same, src.length);
  equal(sameInt8Graph, src.length);
  // Our 8-bit products also quantize the activations (the graphs do not): where that
  // changes a greedy choice, the graphs agree with our 32-bit products (checked above).
  ok(differs8.length < src.length * 0.1, `${differs8.length} differ with 8-bit products`);
  model.close();
  model8.close();
}

for (
  const [direction, modelBytes] of [["en-es", defaultModelBytes], [
    "es-en",
    esEnModelBytes,
  ]] as const
) {
  Deno.test(
    `onnx: the ${direction} tokenizer.json gives our ids on the whole corpus (transformers.js)`,
    () => checkTokenizer(modelBytes),
  );
}

async function checkTokenizer(modelBytes: () => Promise<Uint8Array>) {
  const { model } = loadCheckpoint(await modelBytes(), { threads: 1 });
  const dir = await writeExport(model);
  env.allowRemoteModels = false;
  env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
  const tok = await AutoTokenizer.from_pretrained(dir.slice(dir.lastIndexOf("/") + 1));
  const awkward = [
    "",
    " ",
    "  two  spaces\tand a tab\n",
    "no\u00a0break\u3000ideographic\ufeffbom\u0085nel",
    "Émoji 🎉🍕 and ZWJ 👩‍💻, combining e\u0301 and ▁ itself",
    "l’apostrophe rock'n'roll 'quoted'",
    "日本語のテキスト",
    "https://example.com/a?b=c&d=e 555-1234 3.14",
  ];
  const pairs = await corpus();
  const texts = [...awkward, ...pairs.flatMap((p) => [p.source, p.target])];
  let same = 0;
  const bad: string[] = [];
  for (const t of texts) {
    const ours = [...model.srcVocab.encode(model.codec.tokenize(t)), model.srcVocab.eos];
    const theirs = tok.encode(t) as number[];
    if (ours.length === theirs.length && ours.every((v, i) => v === theirs[i])) same++;
    else if (bad.length < 5) bad.push(JSON.stringify(t));
  }
  console.log(`tokenizer parity: ${same} of ${texts.length} texts`);
  deepEqual(bad, []);
  // Decoding gives our text back.
  for (const t of texts.slice(0, 2000)) {
    const ids = model.srcVocab.encode(model.codec.tokenize(t));
    if (ids.length === 0) continue;
    equal(
      tok.decode(ids, { skip_special_tokens: true }),
      model.codec.detokenize(model.codec.tokenize(t)),
    );
  }
  model.close();
}

Deno.test("onnx: the transformers.js pipeline translates the README's sentences", async () => {
  const bytes = await defaultModelBytes();
  const { model } = loadCheckpoint(bytes, { threads: 1, int8: false });
  const dir = await writeExport(model);
  env.allowRemoteModels = false;
  env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
  const translator = await pipeline("translation", dir.slice(dir.lastIndexOf("/") + 1));
  for (const s of ["Let's go.", "I am hungry.", "Where is the bathroom?", "to go"]) {
    const [r] = await translator(s) as { translation_text: string }[];
    // transformers.js decodes greedily and reads capitals as tokenize() does.
    const ids = [...model.srcVocab.encode(model.codec.tokenize(s)), model.srcVocab.eos];
    const expected = model.codec.detokenize(
      model.translateIds([ids], undefined, { beam: 1, shortlist: false })[0]
        .map((i) => model.tgtVocab.tokens[i]),
    );
    equal(r.translation_text, expected, `${s}: ${r.translation_text} vs ${expected}`);
  }
  model.close();
  const statquest = statquestModel();
  const toyDir = await writeExport(statquest);
  env.localModelPath = toyDir.slice(0, toyDir.lastIndexOf("/") + 1);
  const toyTranslator = await pipeline("translation", toyDir.slice(toyDir.lastIndexOf("/") + 1));
  equal(
    (await toyTranslator("let's go") as { translation_text: string }[])[0].translation_text,
    "vamos",
  );
  equal((await toyTranslator("to go") as { translation_text: string }[])[0].translation_text, "ir");
  statquest.close();
});

testInTempDir(
  "onnx: export_onnx.ts --model es-en, and transformers.js translates Spanish with it",
  async (dir) => {
    const r = await run([
      "run",
      "-A",
      "export_onnx.ts",
      "--model",
      "es-en",
      "--out",
      `${dir}/es-en`,
    ]);
    equal(r.code, 0, r.stderr);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/es-en/config.json`));
    ok(config.vocab_size > 1000, JSON.stringify(config));
    env.allowRemoteModels = false;
    env.localModelPath = `${dir}/`;
    const translator = await pipeline("translation", "es-en");
    const { model } = loadCheckpoint(await esEnModelBytes(), { threads: 1, int8: false });
    for (const s of ["Tengo hambre.", "¿Dónde está el baño?", "Vamos.", "Me gusta leer libros."]) {
      const [out] = await translator(s) as { translation_text: string }[];
      const ids = [...model.srcVocab.encode(model.codec.tokenize(s)), model.srcVocab.eos];
      const expected = model.codec.detokenize(
        model.translateIds([ids], undefined, { beam: 1, shortlist: false })[0]
          .map((i) => model.tgtVocab.tokens[i]),
      );
      equal(out.translation_text, expected, s);
    }
    const [hungry] = await translator("Tengo hambre.") as { translation_text: string }[];
    equal(hungry.translation_text, "I'm hungry.");
    model.close();
  },
);

testInTempDir(
  "export_onnx.ts writes the folder, refuses to overwrite, names bad flags",
  async (dir) => {
    const out = `${dir}/statquest-onnx`;
    let r = await run(["run", "-A", "export_onnx.ts", "--model", "statquest", "--out", out]);
    equal(r.code, 0, r.stderr);
    ok(r.stderr.includes('pipeline("translation", "statquest-onnx")'), r.stderr);
    const statquest = statquestModel();
    await checkLogits(ortNode as unknown as Ort, statquest, out);
    statquest.close();
    r = await run(["run", "-A", "export_onnx.ts", "--model", "statquest", "--out", out]);
    equal(r.code, 2);
    ok(r.stderr.includes("pass --force"), r.stderr);
    equal(r.stderr.trim().split("\n").length, 1);
    r = await run([
      "run",
      "-A",
      "export_onnx.ts",
      "--model",
      "statquest",
      "--out",
      out,
      "--force",
      "--int8",
    ]);
    equal(r.code, 0, r.stderr);
    ok((await Deno.stat(`${out}/onnx/decoder_model_merged_int8.onnx`)).size > 0);
    for (
      const [args, code, words] of [
        [["--model", "statquest"], 2, "--out DIR are required"],
        [["--model", "statquest", "--out", `${dir}/no/such/dir`], 2, "does not exist"],
        [["--model", "statquest", "--out", `${out}/config.json`], 2, "is a file"],
        [["--model", `${dir}/missing.safetensors`, "--out", `${dir}/x`], 1, "missing.safetensors"],
        [["--model", "README.md", "--out", `${dir}/x`], 1, "README.md"],
      ] as [string[], number, string][]
    ) {
      r = await run(["run", "-A", "export_onnx.ts", ...args]);
      equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      ok(r.stderr.includes(words), r.stderr);
      equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  },
);

testInTempDir("onnx: docs/onnx.md's onnxruntime example runs as written", async (dir) => {
  const doc = await Deno.readTextFile(new URL("../../docs/onnx.md", import.meta.url));
  const example = /## onnxruntime directly[^]*?```js ignore\n([^]*?)```/.exec(doc)?.[1];
  ok(example, "the example is in docs/onnx.md");
  const root = new URL("../../", import.meta.url).pathname;
  const exported = await run([
    "run",
    "-A",
    `${root}export_onnx.ts`,
    "--model",
    "default",
    "--out",
    `${dir}/vamos-en-es`,
  ]);
  equal(exported.code, 0, exported.stderr);
  await Deno.writeTextFile(`${dir}/example.js`, example);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${root}deno.json`, "example.js"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  equal(out.code, 0, text.decode(out.stderr));
  equal(text.decode(out.stdout), "¿Dónde está el baño?\n");
});
