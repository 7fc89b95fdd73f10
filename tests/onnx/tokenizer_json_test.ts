// tokenizer.json: the shipped model's BPE (vocabulary, merges, byte fallback, specials)
// and the StatQuest model's word-level tokenizer, as the tokenizers library lays them out.
import { deepEqual, equal, ok } from "node:assert/strict";
import { tokenizerConfig, tokenizerJson } from "../../src/onnx/tokenizer_json.ts";
import { idSpaceOf } from "../../src/onnx/transformer_graph.ts";
import { loadDefaultModel } from "../../models/default.ts";
import { statquestModel } from "../../models/statquest.ts";

Deno.test("the shipped model: BPE with byte fallback and its merges", async () => {
  const m = await loadDefaultModel({ threads: 1 });
  try {
    const space = idSpaceOf(m);
    const t = tokenizerJson(m, space) as Record<string, Record<string, unknown>>;
    equal(t.model.type, "BPE");
    equal(t.model.byte_fallback, true);
    equal(Object.keys(t.model.vocab as object).length, m.srcVocab.size);
    ok((t.model.merges as unknown[]).length > 1000);
    equal((t.added_tokens as unknown as { content: string }[])[0].content, "<EOS>");
    equal(tokenizerConfig(m, space).eos_token, "<EOS>");
  } finally {
    m.close();
  }
});

Deno.test("the StatQuest model: a word-level tokenizer over the union of its vocabularies", () => {
  const m = statquestModel(1);
  try {
    const space = idSpaceOf(m);
    equal(space.shared, false);
    const t = tokenizerJson(m, space) as Record<string, Record<string, unknown>>;
    equal(t.model.type, "WordLevel");
    deepEqual(Object.keys(t.model.vocab as object).sort(), [...space.tokens].sort());
    equal(t.decoder, null);
  } finally {
    m.close();
  }
});
