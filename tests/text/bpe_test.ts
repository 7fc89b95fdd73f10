import { deepEqual, equal, ok } from "node:assert/strict";
import { BpeCodec, pretokenize } from "../../src/text/bpe.ts";
import { createModel } from "../../src/model/model.ts";
import { loadModel, saveModel } from "../../src/checkpoint/checkpoint.ts";

const CORPUS = [
  "Let's go.",
  "Vamos.",
  "I am hungry.",
  "Tengo hambre.",
  "Where is the bathroom?",
  "¿Dónde está el baño?",
  "Let's go home.",
  "Vamos a casa.",
];

Deno.test("pre-tokenization keeps spaces as ▁ and splits punctuation", () => {
  deepEqual(pretokenize("¿Dónde está el baño?"), ["¿", "Dónde", "▁está", "▁el", "▁baño", "?"]);
  deepEqual(pretokenize("Let's go!"), ["Let's", "▁go", "!"]);
});

Deno.test("BPE learns merges, and detokenization restores the text exactly", () => {
  const bpe = BpeCodec.train(CORPUS, { vocabSize: 330, minCharCount: 1 });
  // 2 specials + 256 bytes + the characters, then merges while pairs repeat (≤ 330).
  if (bpe.vocabulary.size <= 258 + bpe.chars.length || bpe.vocabulary.size > 330) {
    throw new Error(`vocabulary of ${bpe.vocabulary.size}`);
  }
  for (const s of [...CORPUS, "Hola, ¿qué tal?", "I'm 25 years old.", "naïve café — déjà vu"]) {
    equal(bpe.detokenize(bpe.tokenize(s)), s);
  }
  // Frequent words become single tokens.
  deepEqual(bpe.tokenize("Vamos."), ["Vamos", "."]);
});

Deno.test("BPE never meets an unknown input: unseen characters become bytes", () => {
  const bpe = BpeCodec.train(CORPUS, { vocabSize: 300 });
  const tokens = bpe.tokenize("Marry me ✓ 日本");
  for (const t of tokens) {
    if (bpe.vocabulary.id(t) === undefined) throw new Error(`unknown token ${t}`);
  }
  if (!tokens.some((t) => /^<0x[0-9A-F]{2}>$/.test(t))) throw new Error("expected byte tokens");
  equal(bpe.detokenize(tokens), "Marry me ✓ 日本");
});

Deno.test("training is deterministic and the tokenizer travels inside the checkpoint", async () => {
  const a = BpeCodec.train(CORPUS, { vocabSize: 320 }),
    b = BpeCodec.train(CORPUS, { vocabSize: 320 });
  deepEqual(a.merges, b.merges);
  const model = createModel("statquest", {
    srcVocab: a.vocabulary,
    tgtVocab: a.vocabulary,
    codec: a,
    overrides: { startToken: "sos", maxLen: 32 },
  });
  const copy = await loadModel(saveModel(model));
  equal(copy.codec.kind, "bpe");
  deepEqual(copy.codec.tokenize("¿Dónde está?"), a.tokenize("¿Dónde está?"));
  equal(copy.translate("Where is the bathroom?"), model.translate("Where is the bathroom?"));
});

Deno.test("tokenizeSource: a capitalized first word known only in lowercase takes its word form", () => {
  const bpe = BpeCodec.train(
    Array.from({ length: 20 }, () => ["Will you marry me?", "They will marry soon.", "Tom left."])
      .flat(),
    { vocabSize: 320 },
  );
  const plain = bpe.tokenize("Marry me.");
  const source = bpe.tokenizeSource("Marry me.");
  deepEqual(source.slice(0, 1), ["▁marry"]);
  if (plain[0] === "▁marry" || plain.length <= source.length) {
    throw new Error(`${plain} vs ${source}`);
  }
  // A first word the data has capitalized is left alone.
  deepEqual(bpe.tokenizeSource("Tom left."), bpe.tokenize("Tom left."));
  // Nothing else changes.
  deepEqual(bpe.tokenizeSource("Will you marry me?"), bpe.tokenize("Will you marry me?"));
  // Text in capitals only: Title or lowercase, whichever splits less.
  deepEqual(bpe.tokenizeSource("WILL YOU MARRY ME?"), bpe.tokenizeSource("Will you marry me?"));
  deepEqual(bpe.tokenizeSource("THEY WILL MARRY SOON."), bpe.tokenize("They will marry soon."));
  ok(bpe.tokenize("WILL YOU MARRY ME?").length > bpe.tokenize("Will you marry me?").length);
  // Capitals beside lowercase text are an acronym, a capitalized word mid-sentence a
  // name: both left alone.
  deepEqual(bpe.tokenizeSource("Will you MARRY me?"), bpe.tokenize("Will you MARRY me?"));
  deepEqual(bpe.tokenizeSource("Will you Marry me?"), bpe.tokenize("Will you Marry me?"));
});
