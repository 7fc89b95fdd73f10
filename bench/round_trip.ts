// deno task bench:round-trip — a check, not a target: the en→es model's test split
// translated to Spanish and back with the es→en model (each at its own beam), scored by
// BLEU and chrF against the English it started from. The two models split the corpus by
// their own source side, so some of these English sentences are targets the es→en model
// trained on: the count is printed beside the score.
//
//   deno task bench:round-trip [--data ../shared/data/spa-eng/spa-eng.tsv]
import { parseArgs } from "node:util";
import { defaultModelBytes, loadDefaultModel } from "../models/default.ts";
import { esEnModelBytes, loadEsEnModel } from "../models/es_en.ts";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedRun, recordedSplit } from "../src/checkpoint/run_record.ts";
import {
  groupBySource,
  orientPairs,
  parseTsv,
  readUtf8Text,
  splitBySource,
  withoutSentencesOf,
} from "../src/train/data.ts";
import { corpusBleu, corpusChrf } from "../src/train/metrics.ts";
import { machine } from "./_timing.ts";

const { values: v } = parseArgs({
  options: { data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" } },
});
const pairs = parseTsv(readUtf8Text(await Deno.readFile(v.data), v.data), v.data);
const recordOf = (bytes: Uint8Array) => {
  const { model, metadata } = loadCheckpoint(bytes, { threads: 1 });
  model.close();
  return { split: recordedSplit(metadata)!, run: recordedRun(metadata) };
};
const enEsSplit = splitBySource(pairs, recordOf(await defaultModelBytes()).split);
const english = groupBySource(enEsSplit.test).map((g) => g.source);
const esEn = recordOf(await esEnModelBytes());
let esEnTrain = splitBySource(orientPairs(pairs, "es-en"), esEn.split).train;
// Trained with --hold-out-reverse: none of the en→es held-out sentences.
if (esEn.run.hold_out_reverse) {
  esEnTrain = withoutSentencesOf(esEnTrain, [...enEsSplit.dev, ...enEsSplit.test]);
}
const seen = new Set(esEnTrain.map((p) => p.target));

const enEs = await loadDefaultModel();
const esEnModel = await loadEsEnModel();
const t0 = performance.now();
const spanish = enEs.translate(english);
const back = esEnModel.translate(spanish);
const seconds = (performance.now() - t0) / 1000;
const refs = english.map((e) => [e]);
const inTraining = english.filter((e) => seen.has(e)).length;
const unseen = english.map((e, i) => [e, back[i]]).filter(([e]) => !seen.has(e));
console.log(`${machine()}; ${enEs.threads} threads; beams ${enEs.beam} and ${esEnModel.beam}`);
console.log(
  `en→es→en on the en→es test split (${english.length} sentences, ${seconds.toFixed(0)} s): ` +
    `BLEU ${corpusBleu(back, refs).score.toFixed(1)}, chrF ${corpusChrf(back, refs).toFixed(1)}, ` +
    `${back.filter((b, i) => b === english[i]).length} back word for word`,
);
console.log(
  `${inTraining} of them are targets the es→en model trained on; on the other ${unseen.length}: ` +
    `BLEU ${corpusBleu(unseen.map((u) => u[1]), unseen.map((u) => [u[0]])).score.toFixed(1)}`,
);
enEs.close();
esEnModel.close();
