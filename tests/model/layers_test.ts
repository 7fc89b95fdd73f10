// The building blocks shared by training, decoding and --explain: the in-projection's
// parts are rows of the packed weight, trace names come from a handle's site, and the
// backwards of a chain run last first.
import { deepEqual, equal } from "node:assert/strict";
import {
  chain,
  inProjection,
  outProjection,
  Pass,
  TRACE,
  traceName,
} from "../../src/model/layers.ts";
import { TransformerCore } from "../../src/model/transformer_core.ts";
import { configFromPreset } from "../../src/model/config.ts";
import type { Tensor } from "../../src/runtime/runtime.ts";

Deno.test("q, kv and qkv projections agree with the packed weight's rows", () => {
  const c = configFromPreset("small", { srcVocab: 20, tgtVocab: 20 }, {
    dModel: 8,
    heads: 2,
    dFF: 16,
  });
  const core = new TransformerCore(c, { seed: 3, threads: 1 });
  const pass = new Pass(core.rt, core.params, c, false, 0);
  const a = core.handles.decoder.layers[0].crossAttn, d = c.dModel;
  const x = pass.alloc(3, d);
  x.view().set(Array.from({ length: 3 * d }, (_, i) => Math.sin(i)));
  const qkv = pass.alloc(3, 3 * d), q = pass.alloc(3, d), kv = pass.alloc(3, 2 * d);
  inProjection(pass, a, "qkv", x, qkv);
  inProjection(pass, a, "q", x, q);
  inProjection(pass, a, "kv", x, kv);
  const all = qkv.toArray();
  for (let r = 0; r < 3; r++) {
    deepEqual([...q.toArray().slice(r * d, (r + 1) * d)], [...all.slice(r * 3 * d, r * 3 * d + d)]);
    deepEqual(
      [...kv.toArray().slice(r * 2 * d, (r + 1) * 2 * d)],
      [...all.slice(r * 3 * d + d, (r + 1) * 3 * d)],
    );
  }
  // The StatQuest model has no output projection: the context is the output.
  const statquest = new TransformerCore(
    configFromPreset("statquest", { srcVocab: 4, tgtVocab: 4 }),
    {
      threads: 1,
    },
  );
  const tp = new Pass(statquest.rt, statquest.params, statquest.config, false, 0);
  const ctx = tp.alloc(1, 2);
  equal(outProjection(tp, statquest.handles.encoder.layers[0].selfAttn, ctx), ctx);
});

Deno.test("trace names and chained backwards", () => {
  equal(traceName("decoder.layers.1.self_attn", TRACE.probs), "decoder.layers.1.self_attn.probs");
  const order: number[] = [];
  const step = (i: number) => (dy: Tensor) => {
    order.push(i);
    return dy;
  };
  chain([step(1), step(2), step(3)])(undefined as unknown as Tensor);
  deepEqual(order, [3, 2, 1]);
});
