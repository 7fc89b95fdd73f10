// deno task bench:decoding — how decoding scales with work: N sentences of the shipped
// en→es model's test split through the public API (model.translate), greedy and beam 4,
// one sentence at a time and in batches of 64, at 1 and 2 threads; best of 2 passes (this
// host's runs move ±20%: --passes 5 steadies them); over the whole vocabulary (as
// translations run by default) and over the model's vocabulary shortlist; and the ceiling on
// batch / one: what batches would gain at most if their 8-bit products ran at the int8 peak
// and the rest of decoding cost nothing. Also run by bench:compare.
//
//   deno task bench:decoding [--sentences 512] [--data ../shared/data/spa-eng/spa-eng.tsv]
//                            [--vocabulary both|shortlist|whole] [--passes 2]
import { parseArgs } from "node:util";
import { defaultModelBytes, loadDefaultModel } from "../models/default.ts";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedSplit } from "../src/checkpoint/run_record.ts";
import { groupBySource, parseTsv, readUtf8Text, splitBySource } from "../src/train/data.ts";
import type { Transformer } from "../src/model/model.ts";
import { Runtime } from "../src/runtime/runtime.ts";
import { Int8Weights, matmulInt8Into } from "../src/kernels/matmul_int8.ts";
import { bestSeconds, machine } from "./_timing.ts";

/** The first `n` English sources of the shipped en→es model's test split. */
export async function testSentences(n: number, data: string): Promise<string[]> {
  const { metadata } = loadCheckpoint(await defaultModelBytes(), { threads: 1 });
  const pairs = parseTsv(readUtf8Text(await Deno.readFile(data), data), data);
  return groupBySource(splitBySource(pairs, recordedSplit(metadata)!).test)
    .slice(0, n).map((g) => g.source);
}

/**
 * Seconds to translate `inputs` in batches of `batch` (through `model.translate`); without
 * `shortlist`, over whatever vocabulary the model decodes by default.
 */
export function seconds(
  model: Transformer,
  inputs: string[],
  beam: number,
  batch: number,
  shortlist?: boolean,
): number {
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i += batch) {
    model.translate(inputs.slice(i, i + batch), { beam, shortlist });
  }
  return (performance.now() - t0) / 1000;
}

/**
 * One more pass with the 8-bit products timed: their share of the pass and their rate
 * as a share of the int8 peak (a roofline point per case).
 */
function productsShare(
  model: Transformer,
  inputs: string[],
  beam: number,
  batch: number,
  shortlist: boolean,
) {
  const rt = model.core.rt;
  const original = rt.parallel.bind(rt);
  let macs = 0, ms = 0;
  rt.parallel = (op, jobs) => {
    if (op !== "matmulInt8") return original(op, jobs);
    const t0 = performance.now();
    const out = original(op, jobs);
    ms += performance.now() - t0;
    for (const j of jobs) macs += j[8] * j[9] * j[10];
    return out;
  };
  try {
    const total = seconds(model, inputs, beam, batch, shortlist) * 1000;
    return { share: ms / total, gmacs: macs / (ms / 1000) / 1e9 };
  } finally {
    rt.parallel = original;
  }
}

/** The 8-bit products' and the f32 multiply-add's ceilings on this machine, GMAC/s. */
export function peaks(): { int8: number; f32: number } {
  const rt = new Runtime({ threads: 1 });
  const n = 2_000_000;
  return {
    int8: rt.kernels.int8PeakMacs() * n / bestSeconds(() => rt.kernels.int8Peak(n, 3)) / 1e9,
    f32: 48 * n / bestSeconds(() => rt.kernels.simdPeak(n, 0.999)) / 1e9,
  };
}

/**
 * How much faster an 8-bit product of a batch's size runs on 2 threads than on 1, the
 * runtimes taking turns: what a second thread can give on this machine at this moment. (On
 * a virtual machine the two vCPUs may share one physical core for a while, and then they
 * give about 1×.)
 */
export async function twoThreadGain(d: number): Promise<number> {
  const rts = [new Runtime({ threads: 1 }), new Runtime({ threads: 2 })];
  await rts[1].ready();
  const best = [Infinity, Infinity];
  try {
    const products = rts.map((rt) => {
      const a = rt.tensor(256, d).set(
        Float32Array.from({ length: 256 * d }, (_, i) => Math.sin(i)),
      );
      const w = rt.tensor(3 * d, d).set(
        Float32Array.from({ length: 3 * d * d }, (_, i) => Math.cos(i)),
      );
      return { a, w: Int8Weights.from(w), c: rt.tensor(256, 3 * d) };
    });
    for (let round = 0; round < 20; round++) {
      products.forEach((p, i) => {
        const t0 = performance.now();
        for (let r = 0; r < 10; r++) matmulInt8Into(p.a, p.w, p.c);
        best[i] = Math.min(best[i], performance.now() - t0);
      });
    }
  } finally {
    rts.forEach((rt) => rt.close());
  }
  return best[0] / best[1];
}

/**
 * Prints the table: sentences/s per thread count, decoding and batch size, with the
 * model's shortlist or over the whole vocabulary.
 */
export async function decodingTable(
  sentences: string[],
  passes = 2,
  shortlist = true,
): Promise<void> {
  const n = sentences.length;
  console.log(
    `\n## Decoding, the shipped en→es model, ${n} test sentences, best of ${passes}, ${
      shortlist ? "over its vocabulary shortlist (--shortlist)" : "over the whole vocabulary"
    }`,
  );
  const peak = peaks();
  console.log(
    `peaks, 1 thread: int8 products ${peak.int8.toFixed(1)} GMAC/s, f32 multiply-add ${
      peak.f32.toFixed(1)
    } GMAC/s`,
  );
  const model0 = await loadDefaultModel({ threads: 1 });
  const d = model0.core.config.dModel;
  model0.close();
  console.log(
    `a product of a beam-4 batch (256 × ${d} · ${d} × ${3 * d}) on 2 threads: ${
      (await twoThreadGain(d)).toFixed(2)
    }× its speed on 1 (what a second thread can give in this run)`,
  );
  console.log(
    "| | one at a time | batches of 64 | batch / one | 8-bit products: share of time, " +
      "one / batch | their GMAC/s (% of int8 peak per thread), one / batch |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  const ceilings: string[] = [];
  for (const threads of [1, 2]) {
    const model = await loadDefaultModel({ threads });
    try {
      for (const beam of [1, 4]) {
        const rate: number[] = [], roof: string[] = [], share: string[] = [];
        let oneShare = 0, oneGmacs = 0;
        for (const batch of [1, 64]) {
          seconds(model, sentences.slice(0, 64), beam, batch, shortlist); // warm up
          let best = Infinity;
          for (let p = 0; p < passes; p++) {
            best = Math.min(best, seconds(model, sentences, beam, batch, shortlist));
          }
          rate.push(n / best);
          const r = productsShare(model, sentences, beam, batch, shortlist);
          if (batch === 1) [oneShare, oneGmacs] = [r.share, r.gmacs];
          share.push(`${(100 * r.share).toFixed(0)}%`);
          roof.push(`${r.gmacs.toFixed(1)} (${(100 * r.gmacs / peak.int8 / threads).toFixed(0)}%)`);
        }
        console.log(
          `| ${threads} thread${threads > 1 ? "s" : ""}, ${
            beam === 1 ? "greedy" : `beam ${beam}`
          } | ${rate[0].toFixed(0)} sent/s | ${rate[1].toFixed(0)} | ${
            (rate[1] / rate[0]).toFixed(2)
          }× | ${share.join(" / ")} | ${roof.join(" / ")} |`,
        );
        // How much faster batches could be at most: their 8-bit products at the int8 peak
        // and everything else free, against one at a time as measured.
        if (threads === 1) {
          const ceiling = 1 / (oneShare * oneGmacs / peak.int8);
          ceilings.push(`${beam === 1 ? "greedy" : `beam ${beam}`} ${ceiling.toFixed(2)}×`);
        }
      }
    } finally {
      model.close();
    }
  }
  console.log(
    `\nceiling of batch / one on 1 thread (the products at the int8 peak, the rest free): ${
      ceilings.join(", ")
    }`,
  );
}

if (import.meta.main) {
  const { values: v } = parseArgs({
    options: {
      sentences: { type: "string", default: "512" },
      data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" },
      passes: { type: "string", default: "2" },
      vocabulary: { type: "string", default: "both" },
    },
  });
  if (!["both", "shortlist", "whole"].includes(v.vocabulary)) {
    throw new Error("--vocabulary must be both, shortlist or whole");
  }
  const n = Number(v.sentences), passes = Number(v.passes);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--sentences must be a positive integer`);
  if (!Number.isInteger(passes) || passes < 1) {
    throw new Error(`--passes must be a positive integer`);
  }
  console.log(machine());
  const sentences = await testSentences(n, v.data);
  if (v.vocabulary !== "whole") await decodingTable(sentences, passes, true);
  if (v.vocabulary !== "shortlist") await decodingTable(sentences, passes, false);
}
