// The layers written once: a decoder layer runs its self-attention, then its
// encoder-decoder attention, then the feed-forward network, each a residual sublayer, with
// whatever attention steps it is given; its backward runs them in reverse.
import { deepEqual, equal } from "node:assert/strict";
import { decoderLayer, encoderLayer } from "../../src/model/encoder_decoder_layers.ts";
import { Pass } from "../../src/model/layers.ts";
import { TransformerCore } from "../../src/model/transformer_core.ts";
import { configFromPreset } from "../../src/model/config.ts";
import type { Tensor } from "../../src/runtime/runtime.ts";

Deno.test("the attention steps it is given, in order; the backward in reverse", () => {
  const c = configFromPreset("small", { srcVocab: 10, tgtVocab: 10 }, {
    dModel: 8,
    heads: 2,
    dFF: 16,
  });
  const core = new TransformerCore(c, { seed: 1, threads: 1 });
  const pass = new Pass(core.rt, core.params, c, true, 0);
  const calls: string[] = [];
  const step =
    (name: string) => (h: Tensor, a: { site: string }): [Tensor, (dy: Tensor) => Tensor] => {
      calls.push(`${name} ${a.site}`);
      return [h, (dy) => {
        calls.push(`back ${name}`);
        return dy;
      }];
    };
  const x = pass.alloc(3, c.dModel);
  x.view().fill(0.5);
  const [y, back] = decoderLayer(
    pass,
    core.handles.decoder.layers[1],
    x,
    step("self"),
    step("cross"),
  );
  equal(y.rows, 3);
  back(pass.alloc(3, c.dModel).zero());
  deepEqual(calls, [
    "self decoder.layers.1.self_attn",
    "cross decoder.layers.1.multihead_attn",
    "back cross",
    "back self",
  ]);
  calls.length = 0;
  encoderLayer(pass, core.handles.encoder.layers[0], x, step("self"));
  deepEqual(calls, ["self encoder.layers.0.self_attn"]);
});
