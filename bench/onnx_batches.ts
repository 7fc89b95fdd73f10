// deno task bench:onnx-batches — greedy decoding in batches against the same model in
// onnxruntime and transformers.js, in one run: the shipped en→es model's first N test
// sentences (sorted by length, as translate() sorts them), in batches of 8 and 64.
// Ours with 8-bit products over the whole vocabulary (as it ships; the peers' ratios are
// against it) and over the vocabulary shortlist; onnxruntime-node on the exported int8 and
// fp32 graphs (ids in, ids out, as ours by translateIds); transformers.js's translation
// pipeline on the same folder (text in, text out, as ours by translate), at batch sizes 1,
// 8, 32 and 64. Each peer runs in a process of its own.
//
//   deno task bench:onnx-batches [--sentences 512]
import { parseArgs } from "node:util";
import { loadDefaultModel } from "../models/default.ts";
import { testSentences } from "./decoding.ts";
import { machine } from "./_timing.ts";
import { onnxPeer, runPeer, writeShippedOnnx } from "./_peer.ts";

const { values: v } = parseArgs({
  options: { sentences: { type: "string", default: "512" } },
});
const n = Number(v.sentences);
if (!Number.isInteger(n) || n < 8) throw new Error("--sentences must be an integer of at least 8");
const BATCHES = [8, 64];
const texts = await testSentences(n, "../shared/data/spa-eng/spa-eng.tsv");
const probe = await loadDefaultModel({ threads: 1 });
const order = texts.map((_, i) => i).sort((a, b) =>
  probe.encodeSource(texts[a]).length - probe.encodeSource(texts[b]).length || a - b
);
const sorted = order.map((i) => texts[i]);
const ids = sorted.map((t) => probe.encodeSource(t));
probe.close();

const root = await Deno.makeTempDir({ prefix: "vamos-bench-batches-" });
const dir = `${root}/vamos-en-es`;
await writeShippedOnnx(dir);

function bestMs(f: () => void, runs = 3): number {
  f();
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function peer(script: string, args: string[]): Promise<Record<string, number> | string> {
  return await runPeer(new URL(script, import.meta.url), args) as Record<string, number> | string;
}

const rate = (ms: number) => (n / (ms / 1000)).toFixed(0);
console.log(`${machine()}; ${n} test sentences, greedy; sentences/s`);
console.log(`\n| ids in, ids out | threads | batches of 8 | batches of 64 |`);
console.log("|---|---:|---:|---:|");
const ours: Record<string, number> = {};
for (const threads of [1, 2]) {
  const model = await loadDefaultModel({ threads });
  for (const shortlist of [true, false]) {
    const cells = BATCHES.map((size) => {
      const ms = bestMs(() => {
        for (let i = 0; i < ids.length; i += size) {
          model.translateIds(ids.slice(i, i + size), undefined, { beam: 1, shortlist });
        }
      });
      if (!shortlist) ours[`${threads} ${size}`] = ms; // as it ships: the whole vocabulary
      return rate(ms);
    });
    console.log(
      `| ours, 8-bit products, ${shortlist ? "shortlist" : "whole vocabulary"} | ${threads} | ${
        cells.join(" | ")
      } |`,
    );
  }
  model.close();
}
for (const suffix of ["_int8", ""]) {
  for (const threads of [1, 2]) {
    const r = await onnxPeer({ engine: "node", threads, dir, ids, suffix, batches: BATCHES }) as
      | Record<string, number>
      | string;
    const name = `onnxruntime-node, ${suffix ? "int8" : "fp32"} graphs`;
    if (typeof r === "string") console.log(`| ${name} | ${threads} | ${r} | |`);
    else {
      console.log(
        `| ${name} | ${threads} | ${
          BATCHES.map((b) => `${rate(r[b])} (ours ${(r[b] / ours[`${threads} ${b}`]).toFixed(2)}×)`)
            .join(" | ")
        } |`,
      );
    }
  }
}
console.log(`\n| text in, text out | threads | batch 1 | 8 | 32 | 64 |`);
console.log("|---|---:|---:|---:|---:|---:|");
const SIZES = [1, 8, 32, 64];
for (const threads of [1, 2]) {
  const model = await loadDefaultModel({ threads });
  const cells = SIZES.map((size) =>
    rate(bestMs(() => {
      for (let i = 0; i < sorted.length; i += size) {
        model.translate(sorted.slice(i, i + size), { beam: 1 });
      }
    }, 2))
  );
  console.log(`| ours (translate, greedy) | ${threads} | ${cells.join(" | ")} |`);
  model.close();
}
for (const dtype of ["int8", "fp32"]) {
  const r = await peer("transformers_peer.ts", [
    "--dir",
    dir,
    "--texts",
    JSON.stringify(sorted),
    "--batches",
    SIZES.join(","),
    "--dtype",
    dtype,
  ]);
  const name = `transformers.js 4.3.2, ${dtype} graphs (its default threads)`;
  if (typeof r === "string") console.log(`| ${name} | | ${r} | | | |`);
  else console.log(`| ${name} | | ${SIZES.map((s) => rate(r[s])).join(" | ")} |`);
}
await Deno.remove(root, { recursive: true });
