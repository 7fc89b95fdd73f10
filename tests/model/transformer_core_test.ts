import { Runtime } from "../../src/runtime/runtime.ts";
import { TransformerCore } from "../../src/model/transformer_core.ts";
import { configFromPreset, type TransformerConfig } from "../../src/model/config.ts";
import { assertClose } from "../_helpers.ts";
import { type Params, refLogits, refLoss } from "../reference_model.ts";

// Tiny configurations that exercise every switch: norm placement, feed-forward,
// several heads, padding on both sides, shared and tied embeddings, gelu.
function tiny(overrides: Partial<TransformerConfig>): TransformerConfig {
  return configFromPreset("small", { srcVocab: 7, tgtVocab: 6 }, {
    dModel: 8,
    heads: 2,
    encoderLayers: 2,
    decoderLayers: 2,
    dFF: 12,
    dropout: 0,
    maxLen: 10,
    ...overrides,
  });
}

const CASES: [string, Partial<TransformerConfig>][] = [
  ["post-norm relu", {}],
  ["pre-norm gelu", { norm: "pre", activation: "gelu" }],
  ["no norm, no feed-forward, one head, unscaled", {
    norm: "none",
    finalNorm: false,
    dFF: 0,
    heads: 1,
    scaleAttention: false,
    scaleEmbedding: false,
    attentionBias: false,
    attentionOutProj: false,
  }],
  ["shared and tied embeddings, no final norm", {
    tgtVocab: 7,
    shareEmbeddings: true,
    tieOutput: true,
    finalNorm: false,
  }],
];

// Sequences of different lengths on both sides, so padding is exercised everywhere.
const SRC = [[1, 2, 3, 6], [4, 5], [0, 6, 2]];
const TGT_IN = [[5, 1, 2], [5, 3, 4, 0, 1], [5]];
const LABELS = [[1, 2, 5], [3, 4, 0, 1, 5], [2]];

function paramsOf(m: TransformerCore): Params {
  const p: Params = new Map();
  for (const e of m.params.entries) p.set(e.name, Float64Array.from(m.params.get(e.name).view()));
  return p;
}

for (const [name, overrides] of CASES) {
  const config = tiny(overrides);

  Deno.test(`model (${name}): logits match the f64 reference within 1e-4`, () => {
    const m = new TransformerCore(config, { seed: 3, runtime: new Runtime({ poison: true }) });
    const logits = m.logits(SRC, TGT_IN);
    const ref = refLogits(config, paramsOf(m), SRC, TGT_IN);
    // Padded rows are not compared: their values are never used.
    const T = 5;
    const keep = (i: number) =>
      Math.floor(i / config.tgtVocab) % T < TGT_IN[Math.floor(i / (config.tgtVocab * T))].length;
    const a = logits.filter((_, i) => keep(i)), e = ref.filter((_, i) => keep(i));
    assertClose(a, e, { atol: 1e-4, rtol: 1e-4, label: `logits ${name}`, cols: config.tgtVocab });
  });

  Deno.test(`model (${name}): every parameter's gradient matches finite differences`, () => {
    const m = new TransformerCore(config, { seed: 5, runtime: new Runtime({ poison: true }) });
    const smoothing = 0.1;
    // The first pass leaves the (poisoned) arena full of stale activations; the second
    // must not read any of them.
    m.loss(SRC, TGT_IN, LABELS, { backward: true, smoothing });
    const loss = m.loss(SRC, TGT_IN, LABELS, { backward: true, smoothing });
    const p = paramsOf(m);
    assertClose([loss], [refLoss(config, p, SRC, TGT_IN, LABELS, smoothing)], {
      rtol: 1e-5,
      label: "loss",
    });
    for (const e of m.params.entries) {
      const grad = m.params.grad(e.name).toArray();
      const values = p.get(e.name)!;
      // Up to 12 elements per tensor, spread over it, keep the check fast.
      const idx = [
        ...new Set(
          Array.from(
            { length: Math.min(12, e.size) },
            (_, k) => Math.floor((k * e.size) / Math.min(12, e.size) + (k * 7) % 3) % e.size,
          ),
        ),
      ];
      const h = 1e-5;
      const numeric = idx.map((i) => {
        const v = values[i];
        values[i] = v + h;
        const fp = refLoss(config, p, SRC, TGT_IN, LABELS, smoothing);
        values[i] = v - h;
        const fm = refLoss(config, p, SRC, TGT_IN, LABELS, smoothing);
        values[i] = v;
        return (fp - fm) / (2 * h);
      });
      // f32 forward/backward against f64 central differences: 2e-3 relative, 2e-5 absolute.
      assertClose(idx.map((i) => grad[i]), numeric, {
        rtol: 2e-3,
        atol: 2e-5,
        label: `d ${e.name}`,
      });
    }
  });
}
