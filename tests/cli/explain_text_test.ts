// formatExplanation: the text --explain prints, one section per idea, in the video's
// order, with the model's numbers.
import { ok } from "node:assert/strict";
import { formatExplanation } from "../../src/cli/explain_text.ts";
import { explain } from "../../src/model/explain.ts";
import { statquestModel } from "../../models/statquest.ts";

Deno.test("the StatQuest model's walk-through, in order", () => {
  const m = statquestModel(1);
  try {
    const text = formatExplanation(explain(m, "let's go"));
    const order = [
      "1. Word embedding",
      "2. Positional encoding",
      "3. Embedding + positional encoding",
      "Similarity scores",
      "Softmax",
      "Residual connection",
      "Encoder output",
      "<EOS>",
    ];
    let at = 0;
    for (const part of order) {
      const i = text.indexOf(part, at);
      ok(i >= 0, `"${part}" after position ${at}`);
      at = i;
    }
    ok(text.includes("vamos"));
    ok(/-?\d+\.\d\d/.test(text), "the model's numbers");
  } finally {
    m.close();
  }
});
