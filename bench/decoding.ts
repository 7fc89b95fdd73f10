// deno task bench:decoding — how decoding scales with work: N sentences of the shipped
// en→es model's test split through the public API (model.translate), greedy and beam 4,
// one sentence at a time and in batches of 64, at 1 and 2 threads; best of 2 passes.
// Also run by bench:compare.
//
//   deno task bench:decoding [--sentences 512] [--data ../shared/data/spa-eng/spa-eng.tsv]
import { parseArgs } from "node:util";
import { defaultModelBytes, loadDefaultModel } from "../models/default.ts";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedSplit } from "../src/checkpoint/run_record.ts";
import { groupBySource, parseTsv, readUtf8Text, splitBySource } from "../src/train/data.ts";
import type { Transformer } from "../src/model/model.ts";
import { machine } from "./_timing.ts";

/** The first `n` English sources of the shipped en→es model's test split. */
export async function testSentences(n: number, data: string): Promise<string[]> {
  const { metadata } = loadCheckpoint(await defaultModelBytes(), { threads: 1 });
  const pairs = parseTsv(readUtf8Text(await Deno.readFile(data), data), data);
  return groupBySource(splitBySource(pairs, recordedSplit(metadata)!).test)
    .slice(0, n).map((g) => g.source);
}

function seconds(model: Transformer, inputs: string[], beam: number, batch: number): number {
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i += batch) {
    model.translate(inputs.slice(i, i + batch), { beam });
  }
  return (performance.now() - t0) / 1000;
}

/** Prints the table: sentences/s per thread count, decoding and batch size. */
export async function decodingTable(sentences: string[], passes = 2): Promise<void> {
  const n = sentences.length;
  console.log(`\n## Decoding, the shipped en→es model, ${n} test sentences, best of ${passes}`);
  console.log("| | one at a time | batches of 64 | batch / one |");
  console.log("|---|---:|---:|---:|");
  for (const threads of [1, 2]) {
    const model = await loadDefaultModel({ threads });
    try {
      for (const beam of [1, 4]) {
        const rate: number[] = [];
        for (const batch of [1, 64]) {
          seconds(model, sentences.slice(0, 64), beam, batch); // warm up
          let best = Infinity;
          for (let p = 0; p < passes; p++) {
            best = Math.min(best, seconds(model, sentences, beam, batch));
          }
          rate.push(n / best);
        }
        console.log(
          `| ${threads} thread${threads > 1 ? "s" : ""}, ${
            beam === 1 ? "greedy" : `beam ${beam}`
          } | ${rate[0].toFixed(0)} sent/s | ${rate[1].toFixed(0)} | ${
            (rate[1] / rate[0]).toFixed(2)
          }× |`,
        );
      }
    } finally {
      model.close();
    }
  }
}

if (import.meta.main) {
  const { values: v } = parseArgs({
    options: {
      sentences: { type: "string", default: "512" },
      data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" },
      passes: { type: "string", default: "2" },
    },
  });
  const n = Number(v.sentences), passes = Number(v.passes);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--sentences must be a positive integer`);
  if (!Number.isInteger(passes) || passes < 1) {
    throw new Error(`--passes must be a positive integer`);
  }
  console.log(machine());
  await decodingTable(await testSentences(n, v.data), passes);
}
