// The Annotated Transformer's first real task: copy random sequences of 10 symbols.
import { createModel } from "../../src/model/model.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { train } from "../../src/train/train.ts";
import { seededRandom } from "../../src/model/random.ts";

Deno.test("copy task: greedy exact match >= 99% on fresh sequences", () => {
  const symbols = Array.from({ length: 10 }, (_, i) => `s${i}`);
  const vocab = new Vocabulary([...symbols, "<SOS>", "<EOS>"]);
  const model = createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed: 1,
    overrides: { dModel: 32, heads: 2, dFF: 64, dropout: 0, maxLen: 12 },
  });
  const random = seededRandom(42);
  const sequence = () => Array.from({ length: 10 }, () => Math.floor(random() * 10));
  const data = Array.from({ length: 20000 }, () => {
    const s = sequence();
    return { src: [...s, vocab.eos], tgt: s };
  });
  train(model, data, { epochs: 3, batchTokens: 64 * 11, warmup: 200, smoothing: 0, seed: 3 });
  // Fresh sequences from the same generator, after the training data.
  const test = Array.from({ length: 500 }, sequence);
  const out = model.translateIds(test.map((s) => [...s, vocab.eos]), 11);
  const exact = out.filter((o, i) => o.join() === test[i].join()).length / test.length;
  if (exact < 0.99) throw new Error(`exact match ${exact}, expected >= 0.99`);
});
