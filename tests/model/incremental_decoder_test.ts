import { Runtime } from "../../src/runtime/runtime.ts";
import { TransformerCore } from "../../src/model/transformer_core.ts";
import { configFromPreset, type TransformerConfig } from "../../src/model/config.ts";
import { greedyDecode, lengthGroups } from "../../src/model/incremental_decoder.ts";
import { assertClose } from "../_helpers.ts";
import { deepEqual, equal } from "node:assert/strict";

// Greedy decoding by recomputing the whole prefix at every step: the definition the
// cached decoder must reproduce.
function recomputeGreedy(
  m: TransformerCore,
  src: number[],
  start: number,
  eos: number,
  steps: number,
) {
  const prefix = [start];
  const out: number[] = [];
  const allLogits: Float32Array[] = [];
  const V = m.config.tgtVocab;
  for (let t = 0; t < steps; t++) {
    const logits = m.logits([src], [prefix]);
    const last = logits.subarray((prefix.length - 1) * V, prefix.length * V);
    allLogits.push(Float32Array.from(last));
    let best = 0;
    for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
    if (best === eos) break;
    out.push(best);
    prefix.push(best);
  }
  return { out, allLogits };
}

const CONFIGS: [string, Partial<TransformerConfig>][] = [
  ["post-norm", {}],
  ["pre-norm gelu", { norm: "pre", activation: "gelu" }],
  ["textbook-like", {
    norm: "none",
    finalNorm: false,
    dFF: 0,
    heads: 1,
    scaleAttention: false,
    attentionBias: false,
    attentionOutProj: false,
  }],
];

for (const [name, o] of CONFIGS) {
  Deno.test(`cached greedy decoding equals recomputing the prefix (${name})`, () => {
    const config = configFromPreset("small", { srcVocab: 11, tgtVocab: 9 }, {
      dModel: 16,
      heads: 4,
      encoderLayers: 2,
      decoderLayers: 2,
      dFF: 24,
      dropout: 0,
      maxLen: 12,
      ...o,
    });
    const m = new TransformerCore(config, { seed: 11, runtime: new Runtime({ poison: true }) });
    const srcs = [[1, 2, 3, 4, 10], [5, 6], [7, 8, 9, 0, 1, 2, 3]];
    const steps = 8;
    const cachedLogits: Float32Array[][] = srcs.map(() => []);
    const cached = greedyDecode(m, srcs, {
      start: 0,
      eos: 8,
      maxTokens: steps,
      onStep: (_t, logits, sentences) => {
        sentences.forEach((b, r) =>
          cachedLogits[b].push(Float32Array.from(logits.subarray(r * 9, (r + 1) * 9)))
        );
      },
    });
    // The comparison must cover several steps, not an immediate EOS.
    if (Math.max(...cached.map((t) => t.length)) < 3) {
      throw new Error(`too short: ${JSON.stringify(cached)}`);
    }
    srcs.forEach((src, b) => {
      const ref = recomputeGreedy(m, src, 0, 8, steps);
      deepEqual(cached[b], ref.out, `tokens of sentence ${b}`);
      // A finished sentence leaves the batch: it got logits for its own steps only.
      equal(cachedLogits[b].length, ref.allLogits.length, `steps of sentence ${b}`);
      ref.allLogits.forEach((l, t) => {
        assertClose(cachedLogits[b][t], l, {
          atol: 1e-5,
          rtol: 1e-5,
          label: `logits of sentence ${b}, step ${t}`,
        });
      });
      // Alone, the sentence is encoded and decoded with the same bits as in the batch.
      const alone: Float32Array[] = [];
      greedyDecode(m, [src], {
        start: 0,
        eos: 8,
        maxTokens: steps,
        onStep: (_t, logits) => alone.push(Float32Array.from(logits)),
      });
      deepEqual(alone, cachedLogits[b], `logits of sentence ${b} alone`);
    });
  });
}

Deno.test("lengthGroups: every source once, in groups padded by at most an eighth", () => {
  const lengths = [9, 3, 3, 12, 4, 30, 3, 10, 11, 1, 29, 5, 5, 6, 7, 8];
  const groups = lengthGroups(lengths);
  deepEqual(groups.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
  for (const g of groups) {
    const ls = g.map((i) => lengths[i]), tokens = ls.reduce((a, b) => a + b, 0);
    if (g.length * Math.max(...ls) * 8 > tokens * 9) throw new Error(`group ${ls} pads too much`);
  }
  // Equal lengths share one group; lengths far apart do not.
  deepEqual(lengthGroups([4, 4, 4, 4]), [[0, 1, 2, 3]]);
  deepEqual(lengthGroups([2, 20]), [[0], [1]]);
  deepEqual(lengthGroups([]), []);
});
