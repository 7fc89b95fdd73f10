// Beam search: beam 1 is exactly greedy decoding; a beam wide enough to hold every
// hypothesis finds what exhaustive search finds, with the same scores; n-best lists are
// in score order; a batch gives what one sentence at a time gives.
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { CheckpointError, loadModel, saveModel } from "../../src/checkpoint/checkpoint.ts";
import { editMetadata } from "../_safetensors_edit.ts";
import { createModel } from "../../src/model/model.ts";
import { statquestModel } from "../../models/statquest.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { beamDecode, lengthPenalty } from "../../src/model/beam.ts";
import { greedyDecode } from "../../src/model/incremental_decoder.ts";
import { loadDefaultModel } from "../../models/default.ts";
import { seededRandom } from "../../src/model/random.ts";

const words = Array.from({ length: 5 }, (_, i) => `w${i}`);
const vocab = new Vocabulary([...words, "<SOS>", "<EOS>"]);
function randomModel(seed: number) {
  // Untrained: flat distributions, so many hypotheses compete.
  return createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed,
    threads: 1,
    overrides: { dModel: 16, heads: 2, dFF: 32, maxLen: 12 },
  });
}
const random = seededRandom(3);
const SOURCES = Array.from({ length: 12 }, () => [
  ...Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 5)),
  vocab.eos,
]);

Deno.test("beam 1 is exactly greedy decoding", async () => {
  for (const seed of [1, 2, 3]) {
    const m = randomModel(seed);
    const opts = { start: m.startId, eos: m.tgtVocab.eos, maxTokens: 8 };
    const greedy = greedyDecode(m.core, SOURCES, opts);
    const beam = beamDecode(m.core, SOURCES, { ...opts, beam: 1 });
    deepEqual(beam.map((h) => h[0].tokens), greedy, `seed ${seed}`);
    m.close();
  }
  const statquest = statquestModel();
  for (const s of ["let's go", "to go"]) {
    const src = [statquest.encodeSource(s)];
    const opts = { start: statquest.startId, eos: statquest.tgtVocab.eos };
    deepEqual(
      beamDecode(statquest.core, src, { ...opts, beam: 1 })[0][0].tokens,
      greedyDecode(statquest.core, src, opts)[0],
    );
  }
  const shipped = await loadDefaultModel({ threads: 1 });
  const sentences = [
    "Where is the bathroom?",
    "I hate to interrupt you, but I need to say something.",
  ]
    .map((s) => shipped.encodeSource(s));
  const opts = { start: shipped.startId, eos: shipped.tgtVocab.eos };
  deepEqual(
    beamDecode(shipped.core, sentences, { ...opts, beam: 1 }).map((h) => h[0].tokens),
    greedyDecode(shipped.core, sentences, opts),
  );
  shipped.close();
});

// Every hypothesis of at most `maxTokens` tokens, scored from teacher-forced logits.
function exhaustive(
  m: ReturnType<typeof randomModel>,
  src: number[],
  maxTokens: number,
  alpha: number,
) {
  const V = m.config.tgtVocab, eos = m.tgtVocab.eos;
  const logProbs = (prefix: number[]) => {
    const logits = m.logits([src], [[m.startId, ...prefix]]);
    const row = logits.subarray(prefix.length * V, (prefix.length + 1) * V);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    return Array.from(row, (x) => x - lse);
  };
  const out: { tokens: number[]; score: number }[] = [];
  const walk = (prefix: number[], lp: number) => {
    const next = logProbs(prefix);
    for (let v = 0; v < V; v++) {
      const total = lp + next[v];
      if (v === eos) {
        out.push({ tokens: prefix, score: total / lengthPenalty(prefix.length + 1, alpha) });
      } else if (prefix.length + 1 === maxTokens) {
        out.push({
          tokens: [...prefix, v],
          score: total / lengthPenalty(prefix.length + 1, alpha),
        });
      } else walk([...prefix, v], total);
    }
  };
  walk([], 0);
  return out.sort((a, b) => b.score - a.score);
}

Deno.test("a beam as wide as every hypothesis finds what exhaustive search finds", () => {
  const m = randomModel(7);
  // Tokens 0..6 (7 of them), at most 2 tokens: 1 + 6 + 36 = 43 hypotheses; 6 live ones at
  // step 1 continue, so beam 32 keeps all of them.
  const src = SOURCES[0];
  const alpha = 0.6;
  const want = exhaustive(m, src, 2, alpha);
  const got = beamDecode(m.core, [src], {
    start: m.startId,
    eos: m.tgtVocab.eos,
    beam: 32,
    maxTokens: 2,
    alpha,
    nbest: 32,
  })[0];
  // Beam search keeps 32 of the hypotheses; the best ones must be exhaustive search's.
  for (let i = 0; i < 10; i++) {
    deepEqual(got[i].tokens, want[i].tokens, `rank ${i}`);
    ok(
      Math.abs(got[i].score - want[i].score) < 1e-5,
      `rank ${i}: ${got[i].score} vs ${want[i].score}`,
    );
  }
  m.close();
});

Deno.test("n-best lists are in score order, and batches equal one sentence at a time", async () => {
  const m = randomModel(11);
  const opts = { start: m.startId, eos: m.tgtVocab.eos, beam: 5, nbest: 5, maxTokens: 9 };
  const together = beamDecode(m.core, SOURCES, opts);
  // The same hypotheses; scores agree to rounding (a one-sentence batch of fewer than 4
  // rows takes matmul's few-rows path, whose sums are ordered differently).
  SOURCES.forEach((src, i) => {
    const alone = beamDecode(m.core, [src], opts)[0];
    deepEqual(together[i].map((h) => h.tokens), alone.map((h) => h.tokens), `sentence ${i}`);
    together[i].forEach((h, k) =>
      ok(Math.abs(h.score - alone[k].score) < 1e-5, `sentence ${i}, hypothesis ${k}`)
    );
    equal(alone.length, 5);
    for (let k = 1; k < alone.length; k++) ok(alone[k - 1].score >= alone[k].score);
  });
  m.close();
  const shipped = await loadDefaultModel({ threads: 1 });
  const texts = ["I am hungry.", "Tom is proud of his son.", "Do you want me to take you home?"];
  deepEqual(
    shipped.translate(texts, { beam: 4 }),
    texts.map((t) => shipped.translate(t, { beam: 4 })),
  );
  const nbest = shipped.translateNBest("Where is the bathroom?", { beam: 4, nbest: 3 });
  equal(nbest.length, 3);
  equal(nbest[0].translation, shipped.translate("Where is the bathroom?", { beam: 4 }));
  ok(nbest[0].score >= nbest[1].score && nbest[1].score >= nbest[2].score);
  shipped.close();
});

Deno.test("a checkpoint's beam metadata is the model's default beam width", async () => {
  const m = randomModel(4);
  equal(m.beam, 1);
  m.beam = 3;
  m.alpha = 1.5;
  const texts = ["w1 w2 w3", "w4 w0", "w2"];
  const copy = await loadModel(saveModel(m), { threads: 1 });
  equal(copy.beam, 3);
  equal(copy.alpha, 1.5);
  const asked = m.translate(texts, { beam: 3, alpha: 1.5 });
  deepEqual(copy.translate(texts), asked);
  deepEqual(copy.translateEach(texts).map((r) => r.translation), asked);
  deepEqual(copy.translate(texts, { beam: 1 }), m.translate(texts, { beam: 1 }));
  equal(copy.translateNBest("w1 w2").length, 1);
  for (const bad of ["0", "x", "65", "2.5", ""]) {
    const bytes = editMetadata(saveModel(m), "beam", bad);
    await rejects(loadModel(bytes, { threads: 1 }), CheckpointError, `beam "${bad}"`);
  }
  for (const bad of ["-1", "11", "x", ""]) {
    const bytes = editMetadata(saveModel(m), "alpha", bad);
    await rejects(loadModel(bytes, { threads: 1 }), CheckpointError, `alpha "${bad}"`);
  }
  m.close();
  copy.close();
  // The shipped model translates with beam 4 unless told otherwise.
  const shipped = await loadDefaultModel({ threads: 1 });
  equal(shipped.beam, 4);
  shipped.close();
});
