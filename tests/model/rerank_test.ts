// Noisy-channel reranking: the channel's sequence log-probabilities equal log-softmax of
// the model's own logits summed by hand; reranking with λ 0 is beam search; a channel that
// prefers another hypothesis changes the choice, and only as far as λ lets it.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { createModel } from "../../src/model/model.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { seededRandom } from "../../src/model/random.ts";
import { candidatesWithin, type ChannelModel, chooseByChannel } from "../../src/model/rerank.ts";
import { lengthPenalty } from "../../src/model/beam.ts";
import { VamosError } from "../../src/errors.ts";

const words = Array.from({ length: 6 }, (_, i) => `w${i}`);
const vocab = new Vocabulary([...words, "<SOS>", "<EOS>"]);
const randomModel = (seed: number, maxLen = 12) =>
  createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed,
    threads: 1,
    overrides: { dModel: 16, heads: 2, dFF: 32, maxLen },
  });

function referenceLogProb(model: ReturnType<typeof randomModel>, src: string, tgt: string) {
  const s = model.encodeSource(src);
  const t = [...vocab.encode(tgt.split(" ")), vocab.eos];
  const logits = model.logits([s], [[model.startId, ...t.slice(0, -1)]]);
  const V = vocab.size;
  let sum = 0;
  t.forEach((id, i) => {
    const row = Array.from(logits.subarray(i * V, (i + 1) * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    sum += row[id] - lse;
  });
  return sum;
}

Deno.test("scoreTranslations: sums of log-softmax of the logits, batched as one at a time", () => {
  const model = randomModel(4);
  const random = seededRandom(9);
  const sentence = () =>
    Array.from({ length: 1 + Math.floor(random() * 9) }, () => words[Math.floor(random() * 6)])
      .join(" ");
  const sources = Array.from({ length: 13 }, sentence), targets = sources.map(sentence);
  const batched = model.scoreTranslations(sources, targets);
  sources.forEach((s, i) => {
    const want = referenceLogProb(model, s, targets[i]);
    ok(Math.abs(batched[i] - want) < 1e-4 * Math.max(1, Math.abs(want)), `${batched[i]} ${want}`);
    // Alone or in a batch: the same up to rounding (the f32 products block by row count).
    const alone = model.scoreTranslations([s], [targets[i]])[0];
    ok(Math.abs(alone - batched[i]) < 1e-4 * Math.max(1, Math.abs(want)), `${alone}`);
    ok(batched[i] < 0);
  });
  model.close();
});

Deno.test("scoreTranslations: NaN for what it cannot score, one line for wrong arguments", () => {
  const model = randomModel(5, 6);
  const got = model.scoreTranslations(
    ["w1", "", "w1 w2", "w1 w2 w3 w4 w5 w0 w1", "w1"],
    ["w2", "w2", "", "w2", "w1 w2 w3 w4 w5 w0"],
  );
  ok(Number.isFinite(got[0]));
  ok(got.slice(1).every(Number.isNaN), JSON.stringify(got));
  throws(() => model.scoreTranslations(["w1"], []), VamosError);
  throws(() => model.scoreTranslations("w1" as unknown as string[], ["w1"]), VamosError);
  equal(model.scoreTranslations([], []).length, 0);
  model.close();
});

Deno.test("chooseByChannel: λ 0 and NaN keep beam search's choice; λ trades the two scores", () => {
  const hyps = [
    { tokens: [1], logProb: -1, score: -1 },
    { tokens: [1, 2], logProb: -2, score: -1.5 },
  ];
  equal(chooseByChannel(hyps, [-10, -1], 0, 4, 1), 0);
  equal(chooseByChannel(hyps, [NaN, -1], 5, 4, 1), 0);
  // Combined: -1 + λ(-10)/lp vs -1.5 + λ(-1)/lp, lp = lengthPenalty(4, 1) = 1.5.
  const lp = lengthPenalty(4, 1);
  const flip = 0.5 / (9 / lp); // where the two are equal
  equal(chooseByChannel(hyps, [-10, -1], flip * 0.9, 4, 1), 0);
  equal(chooseByChannel(hyps, [-10, -1], flip * 1.1, 4, 1), 1);
});

Deno.test("translate with rerank: the channel's choice among beam search's n-best", () => {
  const model = randomModel(6);
  const src = ["w1 w2 w3", "w4 w0", "w5 w5 w1 w2"];
  const plain = model.translate(src, { beam: 4, maxTokens: 5 });
  const seen: string[][] = [];
  // A channel that likes the last candidate of each sentence best.
  const lastBest: ChannelModel = {
    scoreTranslations(candidates, originals) {
      seen.push([...originals]);
      return candidates.map((_, i) =>
        i + 1 === candidates.length || originals[i + 1] !== originals[i] ? 0 : -100
      );
    },
  };
  deepEqual(
    model.translate(src, { beam: 4, maxTokens: 5, rerank: { channel: lastBest, weight: 0 } }),
    plain,
  );
  equal(seen.length, 0, "λ 0 does not call the channel");
  deepEqual(
    model.translate(src, { beam: 1, maxTokens: 5, rerank: { channel: lastBest, weight: 1 } }),
    model.translate(src, { beam: 1, maxTokens: 5 }),
  );
  const reranked = model.translate(src, {
    beam: 4,
    maxTokens: 5,
    rerank: { channel: lastBest, weight: 10, margin: Infinity },
  });
  equal(seen.length, 1);
  // The channel read each source as its target, once per hypothesis.
  deepEqual([...new Set(seen[0])].sort(), [...src].sort());
  const nbest = src.map((s) => model.translateNBest(s, { beam: 4, maxTokens: 5, nbest: 4 }));
  reranked.forEach((r, i) => equal(r, nbest[i].at(-1)!.translation, `sentence ${i}`));
  model.close();
});

Deno.test("rerank margin: only candidates near the best are read; bad options are one line", () => {
  const h = (score: number) => ({ tokens: [], logProb: score, score });
  deepEqual(candidatesWithin([h(-1), h(-1.3), h(-1.6), h(-3)], 0.5).map((x) => x.score), [
    -1,
    -1.3,
  ]);
  deepEqual(candidatesWithin([h(-1), h(-2)], 0.5), [], "the best alone: nothing to rerank");
  equal(candidatesWithin([h(-1), h(-2)], Infinity).length, 2);
  const model = randomModel(7);
  let calls = 0;
  const counting: ChannelModel = {
    scoreTranslations(c) {
      calls++;
      return c.map(() => 0);
    },
  };
  model.translate(["w1 w2"], {
    beam: 4,
    maxTokens: 5,
    rerank: { channel: counting, weight: 1, margin: 0 },
  });
  equal(calls, 0, "margin 0: no candidate but the best, no channel call (ties aside)");
  for (
    const rerank of [
      { channel: counting, weight: -1 },
      { channel: counting, weight: 1, margin: -2 },
      { channel: {} as ChannelModel, weight: 1 },
    ]
  ) throws(() => model.translate("w1", { beam: 4, rerank }), VamosError);
  model.close();
});
