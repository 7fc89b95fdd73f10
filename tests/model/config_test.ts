// The config: presets, validation with one-line errors, and the parameter tree — PyTorch's
// names in storage order, shared and tied matrices one handle, no norms without norms.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  configFromPreset,
  modelParams,
  parameterCountOf,
  parameterSpecs,
  validateConfig,
} from "../../src/model/config.ts";

const translator = configFromPreset("translator", { srcVocab: 8000, tgtVocab: 8000 });

Deno.test("the translator's parameters are nn.Transformer's, in order", () => {
  const names = parameterSpecs(translator).map((s) => s.name);
  equal(names[0], "src_embed.weight");
  deepEqual(names.slice(1, 5), [
    "encoder.layers.0.self_attn.in_proj_weight",
    "encoder.layers.0.self_attn.in_proj_bias",
    "encoder.layers.0.self_attn.out_proj.weight",
    "encoder.layers.0.self_attn.out_proj.bias",
  ]);
  ok(names.includes("decoder.layers.1.multihead_attn.in_proj_weight"));
  ok(names.includes("decoder.layers.1.norm3.bias"));
  equal(names.at(-1), "generator.bias");
  equal(new Set(names).size, names.length);
  equal(
    parameterCountOf(translator),
    parameterSpecs(translator).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
  );
});

Deno.test("the tree's handles: shared embeddings and the tied output are one spec", () => {
  const p = modelParams(translator);
  equal(p.decoder.embedding, p.encoder.embedding);
  equal(p.generator.weight, p.decoder.embedding);
  equal(p.decoder.layers.length, translator.decoderLayers);
  equal(p.decoder.layers[0].crossAttn.site, "decoder.layers.0.multihead_attn");
  equal(p.decoder.layers[0].norm3.site, "decoder.layers.0.norm3");
  ok(p.specs.includes(p.decoder.layers[1].feedForward!.linear2.weight));
  deepEqual(p.decoder.layers[0].selfAttn.inProj.weight.shape, [
    3 * translator.dModel,
    translator.dModel,
  ]);
});

Deno.test("the StatQuest model: no norms, no biases, no output projection, no feed-forward", () => {
  const c = configFromPreset("statquest", { srcVocab: 4, tgtVocab: 4 });
  const p = modelParams(c);
  const layer = p.encoder.layers[0];
  equal(layer.norm1.weight, undefined);
  equal(layer.selfAttn.inProj.bias, undefined);
  equal(layer.selfAttn.outProj, undefined);
  equal(layer.feedForward, undefined);
  equal(p.decoder.finalNorm, undefined);
});

Deno.test("a bad config is one line that says what to change", () => {
  throws(() => validateConfig({ ...translator, heads: 5 }), /Invalid config/);
  throws(() => validateConfig({ ...translator, dModel: 0 }), /dModel/);
  throws(() => validateConfig({ ...translator, dModel: 1 << 20 }), /Invalid config/);
});
