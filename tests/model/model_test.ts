// The Transformer class a user holds: translating one text or many, each text's own
// result or error, scoring translations, and the attention maps of a sentence.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { statquestModel } from "../../models/statquest.ts";

Deno.test("translate, translateEach and their errors", () => {
  const m = statquestModel(1);
  try {
    equal(m.translate("let's go"), "vamos");
    deepEqual(m.translate(["to go", "let's go"]), ["ir", "vamos"]);
    const [good, bad] = m.translateEach(["to go", "dance"]);
    equal(good.translation, "ir");
    ok(bad.error && /Unknown word: "dance"/.test(bad.error.message));
    throws(() => m.translate("dance"), /Unknown word: "dance"/);
    deepEqual(m.unknownWords("let's dance"), ["dance"]);
  } finally {
    m.close();
  }
});

Deno.test("the StatQuest translation scores better than the other one", () => {
  const m = statquestModel(1);
  try {
    const [right, wrong] = m.scoreTranslations(["to go", "to go"], ["ir", "vamos"]);
    ok(right > wrong, `${right} vs ${wrong}`);
    ok(right <= 0);
  } finally {
    m.close();
  }
});

Deno.test("attention maps: one per layer, rows that sum to one", () => {
  const m = statquestModel(1);
  try {
    const a = m.attention("let's go");
    deepEqual(a.sourceTokens, ["let's", "go", "<EOS>"]);
    equal(a.decoderCross.length, m.config.decoderLayers);
    const S = a.sourceTokens.length, T = a.targetTokens.length;
    const map = a.decoderCross[0];
    for (let i = 0; i < T; i++) {
      const sum = Array.from({ length: S }, (_, j) => map[i * S + j]).reduce((x, y) => x + y, 0);
      ok(Math.abs(sum - 1) < 1e-5, `row ${i}: ${sum}`);
    }
  } finally {
    m.close();
  }
});
