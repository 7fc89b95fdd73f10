import { equal } from "node:assert/strict";
import { statquestModel } from "../models/statquest.ts";
import { explain } from "../src/model/explain.ts";
import { PRESETS } from "../src/model/config.ts";

Deno.test("the textbook toy has the textbook's shape", () => {
  const c = PRESETS.statquest;
  equal(c.dModel, 2);
  equal(c.heads, 1);
  equal(c.dFF, 0);
  equal(c.norm, "none");
  equal(c.scaleAttention, false);
  equal(c.startToken, "eos");
  const m = statquestModel();
  equal(m.srcVocab.tokens.join(" "), "let's to go <EOS>");
  equal(m.tgtVocab.tokens.join(" "), "ir vamos y <EOS>");
});

Deno.test("the toy learns both pairs from its fixed seed: zero errors", () => {
  const m = statquestModel();
  equal(m.translate("let's go"), "vamos");
  equal(m.translate("to go"), "ir");
  equal(m.translate(["to go", "let's go"]).join(","), "ir,vamos");
  equal(m.translate("Let's go!".replace("!", "")), "vamos"); // case does not matter
});

Deno.test("--explain walks through the toy's computation with its numbers", () => {
  const text = explain(statquestModel(), "let's go");
  for (
    const part of [
      'Translating "let\'s go" → "vamos"',
      "Word embedding",
      "Positional encoding",
      "Similarity scores",
      "Softmax",
      "Residual connection",
      'DECODER, step 1: input "<EOS>"',
      "encoder-decoder attention",
      "Fully connected layer",
      '→ "vamos"',
      '"<EOS>": the translation is finished.',
    ]
  ) {
    if (!text.includes(part)) throw new Error(`explanation lacks "${part}":\n${text}`);
  }
});
