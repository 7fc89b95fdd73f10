import { deepEqual, equal, ok } from "node:assert/strict";
import { statquestModel } from "../../models/statquest.ts";
import { explain } from "../../src/model/explain.ts";
import { formatExplanation } from "../../src/cli/explain_text.ts";
import { PRESETS } from "../../src/model/config.ts";

Deno.test("the StatQuest model has the textbook's shape", () => {
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

Deno.test("the StatQuest model learns both pairs from its fixed seed: zero errors", () => {
  const m = statquestModel();
  equal(m.translate("let's go"), "vamos");
  equal(m.translate("to go"), "ir");
  equal(m.translate(["to go", "let's go"]).join(","), "ir,vamos");
  equal(m.translate("Let's go!".replace("!", "")), "vamos"); // case does not matter
});

Deno.test("--explain walks through the StatQuest model's computation with its numbers", () => {
  const text = formatExplanation(explain(statquestModel(), "let's go"));
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

Deno.test("explain() returns the steps as data: the model's own attention, its answer, the video's order", async () => {
  const { loadDefaultModel } = await import("../../models/default.ts");
  const big = await loadDefaultModel({ threads: 1 });
  for (
    const [model, text] of [[statquestModel(), "let's go"], [statquestModel(), "to go"], [
      big,
      "Where is the bathroom?",
    ]] as const
  ) {
    const e = explain(model, text);
    equal(e.translation, model.translate(text));
    const maps = model.attention(text, e.translation);
    const heads = model.config.heads;
    // Head-averaged rows of the model's attention maps, [heads, rows, cols].
    const avg = (map: Float32Array, rows: number, cols: number, i: number, n = cols) =>
      Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let h = 0; h < heads; h++) s += map[(h * rows + i) * cols + j];
        return s / heads;
      });
    const close = (a: number[], b: number[]) =>
      a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-6);
    const S = e.source.length, T = e.target.length;
    for (const s of e.steps.filter((s) => s.idea === "softmax")) {
      s.matrix!.values.forEach((r, i) =>
        ok(close(r, avg(maps.encoderSelf[s.layer!], S, S, i)), `encoder softmax row ${i}`)
      );
      for (const p of s.matrix!.percent!) equal(p.reduce((a, x) => a + parseFloat(x), 0), 100);
    }
    for (const s of e.steps.filter((s) => s.idea === "encoder-decoder-attention")) {
      ok(close(s.attention!.weights, avg(maps.decoderCross[s.layer!], T, S, s.decoderStep!)));
    }
    for (const s of e.steps.filter((s) => s.idea === "masked-self-attention")) {
      const t = s.decoderStep!;
      ok(close(s.attention!.weights, avg(maps.decoderSelf[s.layer!], T, T, t, t + 1)));
    }
    // The chosen tokens are the answer; the last is <EOS>; every step names its tensors.
    const chosen = e.steps.filter((s) => s.idea === "output").map((s) => s.chosen!.token);
    equal(chosen.at(-1), "<EOS>");
    equal(model.codec.detokenize(chosen.slice(0, -1)), e.translation);
    ok(e.steps.every((s) => s.tensors.length > 0 && s.caption.length > 20));
    // The video's order: embedding, positions, their sum, attention, then the decoder.
    deepEqual(e.steps.slice(0, 3).map((s) => s.idea), [
      "embedding",
      "positions",
      "embedding+positions",
    ]);
    // The text is written from the data: the softmax percentages it prints are the data's.
    const textOf = formatExplanation(e);
    for (const s of e.steps.filter((s) => s.idea === "encoder-decoder-attention")) {
      ok(
        textOf.includes(
          s.attention!.keys.map((k, j) => `${k} ${s.attention!.percent[j]}`).join(", "),
        ),
      );
    }
  }
  big.close();
});
