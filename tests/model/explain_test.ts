// explain(): every tensor a step names is one the forward pass traced (the names come from
// the parameter handles and TRACE, not from strings that must agree), for the StatQuest
// model and for the shipped translator, and the steps follow the translation.
import { deepEqual, equal, ok } from "node:assert/strict";
import { explain } from "../../src/model/explain.ts";
import { statquestModel } from "../../models/statquest.ts";
import { loadDefaultModel } from "../../models/default.ts";
import type { Transformer } from "../../src/model/model.ts";

function traced(model: Transformer, text: string): Set<string> {
  const src = model.encodeSource(text);
  const out = model.translateIds([src])[0];
  const names = new Set<string>(["pe"]);
  model.core.traceForward(src, [model.startId, ...out], (n) => names.add(n));
  for (const s of model.core.params.entries) names.add(s.name);
  return names;
}

for (
  const [name, open, text] of [
    ["the StatQuest model", () => Promise.resolve(statquestModel(1)), "let's go"],
    ["the shipped translator", () => loadDefaultModel({ threads: 1 }), "I am hungry."],
  ] as const
) {
  Deno.test(`${name}: every step's tensors were traced`, async () => {
    const model = await open();
    try {
      const e = explain(model, text);
      const known = traced(model, text);
      const missing = e.steps.flatMap((s) => s.tensors.filter((t) => !known.has(t)));
      deepEqual(missing, []);
      equal(e.translation, model.translate(text));
      equal(e.steps.at(-1)!.chosen!.token, "<EOS>");
      const decoderSteps = e.steps.filter((s) => s.idea === "decoder-input").length;
      equal(decoderSteps, e.target.length);
      ok(e.steps.some((s) => s.idea === "encoder-decoder-attention"));
    } finally {
      model.close();
    }
  });
}
