// deno task bench:rerank — tunes λ of noisy-channel reranking: the shipped en→es model's
// beam-search n-best on a held-out split, scored once by the channel (an es→en model
// trained with --hold-out-reverse, so it never saw these sentences or their references),
// then ranked for each λ. Prints BLEU, chrF, how often the choice changes, and the time
// the channel adds to beam search.
//
//   deno task bench:rerank [--split dev] [--channel FILE (default: the shipped es→en model)]
//                          [--weights 0,0.25,0.5,...] [--limit N]
import { parseArgs } from "node:util";
import { defaultModelBytes } from "../models/default.ts";
import { esEnModelBytes } from "../models/es_en.ts";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedRun, recordedSplit } from "../src/checkpoint/run_record.ts";
import { groupBySource, parseTsv, readUtf8Text, splitBySource } from "../src/train/data.ts";
import { corpusBleu, corpusChrf } from "../src/train/metrics.ts";
import { nbestInBatches } from "../src/model/batch_translate.ts";
import {
  candidatesWithin,
  chooseByChannel,
  DEFAULT_CHANNEL_MARGIN,
  DEFAULT_CHANNEL_WEIGHT,
} from "../src/model/rerank.ts";
import { cleanText } from "../src/text/hygiene.ts";
import { maskedOrText, unmaskSpans } from "../src/text/verbatim.ts";
import { machine } from "./_timing.ts";

const { values: v } = parseArgs({
  options: {
    data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" },
    split: { type: "string", default: "dev" },
    channel: { type: "string" },
    weights: { type: "string", default: "0,0.1,0.2,0.3,0.4,0.5,0.6,0.8,1,1.5" },
    beam: { type: "string", default: "4" },
    limit: { type: "string" },
    best: { type: "string" },
  },
});
if (v.split !== "dev" && v.split !== "test") throw new Error("--split must be dev or test");
const beam = Number(v.beam);
const weights = v.weights.split(",").map(Number);

const direct = loadCheckpoint(await defaultModelBytes());
const channel = loadCheckpoint(v.channel ? await Deno.readFile(v.channel) : await esEnModelBytes());
const split = recordedSplit(direct.metadata)!;
const theirs = recordedRun(channel.metadata);
// A channel that saw these sentences would flatter the score: refuse it.
if (
  !theirs.hold_out_reverse || theirs.direction !== "es-en" || theirs.seed !== split.seed ||
  theirs.dev !== split.dev || theirs.test !== split.test ||
  theirs.data_sha256 !== recordedRun(direct.metadata).data_sha256
) {
  throw new Error(
    `${
      v.channel ?? "the es→en model"
    } was not trained with --hold-out-reverse on this model's data and split`,
  );
}
const pairs = parseTsv(readUtf8Text(await Deno.readFile(v.data), v.data), v.data);
let groups = groupBySource(splitBySource(pairs, split)[v.split]);
if (v.limit) groups = groups.slice(0, Number(v.limit));

const model = direct.model, alpha = model.alpha;
const masked = groups.map((g) => model.maskSpans(cleanText(g.source)));
const texts = groups.map((g, i) => maskedOrText(cleanText(g.source), masked[i]));
const ids = texts.map((t) => model.encodeSource(t));
const t0 = performance.now();
const nbest = nbestInBatches(model, ids, { beam, alpha }, beam);
const t1 = performance.now();
const candidates = nbest.flatMap((h) =>
  h.map((x) => model.codec.detokenize(model.tgtVocab.decode(x.tokens)))
);
const originals = nbest.flatMap((h, i) => h.map(() => texts[i]));
const scores = channel.model.scoreTranslations(candidates, originals);
const t2 = performance.now();

console.log(
  `${machine()}; ${model.threads} threads; ${v.split} split, ${groups.length} sentences, beam ${beam}, α ${alpha}`,
);
console.log(
  `beam search ${((t1 - t0) / 1000).toFixed(1)} s, channel scores ${
    ((t2 - t1) / 1000).toFixed(1)
  } s ` +
    `(${(1 + (t2 - t1) / (t1 - t0)).toFixed(2)}× beam search alone)`,
);
const refs = groups.map((g) => g.references);
// The channel's share grows with the candidates it reads: scoring only the first K of
// each n-best costs K/beam of it (measured above for all of them).
for (let k = 2; k <= beam; k++) {
  console.log(
    `\ncandidates scored: the first ${k} of ${beam} (channel ≈ ${
      (1 + (k / beam) * (t2 - t1) / (t1 - t0)).toFixed(2)
    }× beam search alone)`,
  );
  console.log("| λ | BLEU | chrF | changed |\n|---:|---:|---:|---:|");
  for (const w of weights) {
    let at = 0, changed = 0;
    const out = nbest.map((all, i) => {
      const mine = scores.slice(at, at += all.length);
      const hyps = all.slice(0, k);
      const c = chooseByChannel(hyps, mine.slice(0, k), w, ids[i].length, alpha);
      if (c !== 0) changed++;
      const text = model.codec.detokenize(model.tgtVocab.decode(hyps[c].tokens));
      return unmaskSpans(text, masked[i]?.spans ?? [], masked[i] ?? {});
    });
    console.log(
      `| ${w} | ${corpusBleu(out, refs).score.toFixed(2)} | ${
        corpusChrf(out, refs).toFixed(2)
      } | ` +
        `${(100 * changed / groups.length).toFixed(1)}% |`,
    );
  }
}
// Candidates far below the best by beam search's own score rarely win: scoring only those
// within a margin of it (and nothing when none is) saves the channel most of its work.
console.log(`\ncandidates within a margin of the best direct score`);
console.log("| λ | margin | candidates scored | channel ≈ | BLEU | chrF | changed |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const best of v.best ? [Number(v.best)] : weights) {
  for (const margin of [0.1, 0.3, 0.5, 0.7, 1, Infinity]) {
    let at = 0, changed = 0, scored = 0, all = 0;
    const out = nbest.map((hyps, i) => {
      const mine = scores.slice(at, at += hyps.length);
      const within = candidatesWithin(hyps, margin), near = within.length ? within : [hyps[0]];
      all += hyps.length;
      scored += within.length;
      const c = chooseByChannel(near, mine.slice(0, near.length), best, ids[i].length, alpha);
      if (c !== 0) changed++;
      const text = model.codec.detokenize(model.tgtVocab.decode(near[c].tokens));
      return unmaskSpans(text, masked[i]?.spans ?? [], masked[i] ?? {});
    });
    console.log(
      `| ${best} | ${margin} | ${(100 * scored / all).toFixed(1)}% | ${
        (1 + (scored / all) * (t2 - t1) / (t1 - t0)).toFixed(2)
      }× | ${corpusBleu(out, refs).score.toFixed(2)} | ${corpusChrf(out, refs).toFixed(2)} | ${
        (100 * changed / groups.length).toFixed(1)
      }% |`,
    );
  }
}
// The time it really costs, through translate() as translate.ts calls it: the same
// sentences with and without reranking, in turns, best of 3 (warmed up first).
const sources = groups.map((g) => g.source);
const rerank = {
  channel: channel.model,
  weight: DEFAULT_CHANNEL_WEIGHT,
  margin: DEFAULT_CHANNEL_MARGIN,
};
model.translate(sources.slice(0, 64), { rerank });
const best3 = (f: () => void) => {
  let bestMs = Infinity;
  return () => {
    const t = performance.now();
    f();
    bestMs = Math.min(bestMs, performance.now() - t);
    return bestMs;
  };
};
const plainRun = best3(() => model.translate(sources));
const rerankRun = best3(() => model.translate(sources, { rerank }));
let plainMs = 0, rerankMs = 0;
for (let i = 0; i < 3; i++) [plainMs, rerankMs] = [plainRun(), rerankRun()];
console.log(
  `\ntranslate() of the ${sources.length} ${v.split} sentences, beam ${model.beam}: ` +
    `${(plainMs / 1000).toFixed(2)} s alone, ${(rerankMs / 1000).toFixed(2)} s reranked ` +
    `(λ ${DEFAULT_CHANNEL_WEIGHT}, margin ${DEFAULT_CHANNEL_MARGIN}): ${
      (rerankMs / plainMs).toFixed(2)
    }×`,
);
// One sentence at a time, as a user types them: the first 256.
const few = sources.slice(0, 256);
const oneRun = best3(() => few.forEach((s) => model.translate(s)));
const oneRerankRun = best3(() => few.forEach((s) => model.translate(s, { rerank })));
let oneMs = 0, oneRerankMs = 0;
for (let i = 0; i < 3; i++) [oneMs, oneRerankMs] = [oneRun(), oneRerankRun()];
console.log(
  `one at a time (${few.length} sentences): ${
    (few.length / (oneMs / 1000)).toFixed(0)
  } sent/s alone, ` +
    `${(few.length / (oneRerankMs / 1000)).toFixed(0)} reranked: ${
      (oneRerankMs / oneMs).toFixed(2)
    }×`,
);
model.close();
channel.model.close();
