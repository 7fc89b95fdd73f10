// deno task bench:directions — the two shipped models decode at the same speed for the
// same sentences: N pairs of the es-en test split, the English side through en→es and the
// Spanish side through es→en (the same content, so the same sentence lengths), one thread,
// greedy and beam 4, one at a time and in batches of 64; the two models timed in turns,
// best of 5. Prints sentences/s, subwords in and out per sentence, and the ratio.
//
//   deno task bench:directions [--pairs 512] [--data ../shared/data/spa-eng/spa-eng.tsv]
import { parseArgs } from "node:util";
import { loadDefaultModel } from "../models/default.ts";
import { loadEsEnModel } from "../models/es_en.ts";
import { esEnModelBytes } from "../models/es_en.ts";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedSplit } from "../src/checkpoint/run_record.ts";
import {
  groupBySource,
  orientPairs,
  parseTsv,
  readUtf8Text,
  splitBySource,
} from "../src/train/data.ts";
import type { Transformer } from "../src/model/model.ts";
import { machine } from "./_timing.ts";

const { values: v } = parseArgs({
  options: {
    pairs: { type: "string", default: "512" },
    data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" },
  },
});
const n = Number(v.pairs);
if (!Number.isInteger(n) || n < 1) {
  throw new Error(`--pairs must be a positive integer, got ${v.pairs}`);
}

const { metadata } = loadCheckpoint(await esEnModelBytes(), { threads: 1 });
const split = recordedSplit(metadata)!;
const pairs = orientPairs(
  parseTsv(readUtf8Text(await Deno.readFile(v.data), v.data), v.data),
  "es-en",
);
const test = groupBySource(splitBySource(pairs, split).test).slice(0, n);
const spanish = test.map((g) => g.source);
const english = test.map((g) => g.references[0]);

const enEs = await loadDefaultModel({ threads: 1 });
const esEn = await loadEsEnModel({ threads: 1 });

/** Mean subwords in and out per sentence of a model on its inputs. */
function lengths(model: Transformer, inputs: string[]) {
  const src = inputs.map((s) => model.encodeSource(s));
  const out = model.translateIds(src, undefined, { beam: 1 });
  const mean = (a: { length: number }[]) => a.reduce((s, x) => s + x.length, 0) / a.length;
  return { in: mean(src), out: mean(out) };
}

/** Seconds for the whole set, one sentence at a time or in batches of 64. */
function seconds(model: Transformer, inputs: string[], beam: number, batch: number): number {
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i += batch) {
    model.translate(inputs.slice(i, i + batch), { beam });
  }
  return (performance.now() - t0) / 1000;
}

console.log(`${machine()}; ${n} test pairs of the es-en split; 1 thread`);
const le = lengths(enEs, english), ls = lengths(esEn, spanish);
console.log(
  `subwords per sentence: en→es ${le.in.toFixed(1)} in, ${le.out.toFixed(1)} out; ` +
    `es→en ${ls.in.toFixed(1)} in, ${ls.out.toFixed(1)} out`,
);
console.log("| decoding | en→es sent/s | es→en sent/s | es→en / en→es |");
console.log("|---|---:|---:|---:|");
for (const beam of [1, 4]) {
  for (const batch of [1, 64]) {
    seconds(enEs, english.slice(0, 64), beam, batch); // warm up
    seconds(esEn, spanish.slice(0, 64), beam, batch);
    let a = Infinity, b = Infinity;
    for (let r = 0; r < 5; r++) {
      a = Math.min(a, seconds(enEs, english, beam, batch));
      b = Math.min(b, seconds(esEn, spanish, beam, batch));
    }
    const what = `${beam === 1 ? "greedy" : `beam ${beam}`}, ${
      batch === 1 ? "one at a time" : `batches of ${batch}`
    }`;
    console.log(
      `| ${what} | ${(n / a).toFixed(0)} | ${(n / b).toFixed(0)} | ${(a / b).toFixed(2)}× |`,
    );
  }
}
enEs.close();
esEn.close();
