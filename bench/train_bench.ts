// deno bench: one training step and greedy decoding on the reference configuration used
// for comparisons (d_model 128, 4 heads, 2+2 layers, feed-forward 512, post-norm relu,
// vocabularies of 1000, batch 32, source and target length 20, Adam), 1 thread.
// Rates: target tokens per second (32·20 per step); sentences per second. THREADS=n sets
// the thread count (default 1).
import { createModel } from "../src/model/model.ts";
import { Vocabulary } from "../src/text/vocabulary.ts";
import { train } from "../src/train/train.ts";
import type { Example } from "../src/train/batches.ts";

export function referenceModel(threads = 1) {
  const words = Array.from({ length: 997 }, (_, i) => `w${i}`);
  const vocab = new Vocabulary([...words, "<SOS>", "<EOS>", "<unk>"]);
  return createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed: 1,
    threads,
    overrides: { dropout: 0.1, maxLen: 32 },
  });
}

export function referenceBatch(seed: number): Example[] {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 997;
  // Source: 19 words + <EOS> = 20 tokens; target: 19 words (+ start / <EOS> = 20).
  return Array.from({ length: 32 }, () => ({
    src: [...Array.from({ length: 19 }, next), 998],
    tgt: Array.from({ length: 19 }, next),
  }));
}

const threads = Number(Deno.env.get("THREADS") ?? 1);
const model = referenceModel(threads);
const batch = referenceBatch(7);
const opts = {
  epochs: 1,
  batchTokens: 100000,
  schedule: "constant" as const,
  lr: 1e-4,
  smoothing: 0.1,
};
let optimizer = train(model, batch, opts); // warm-up and Adam moments
Deno.bench("training step, batch 32×20 (640 target tokens)", { group: "train" }, () => {
  // One epoch is one batch; continuing an optimizer skips the steps it has taken.
  optimizer = train(model, batch, { ...opts, epochs: optimizer.step + 1, optimizer });
});

// Decoding uses a fresh model: an untrained one does not stop early, so every
// sentence produces its 20 tokens.
const decoder = referenceModel(threads);
const sentences = referenceBatch(11).map((e) => e.src);
const lengths = decoder.translateIds(sentences, 20).map((t) => t.length);
if (lengths.some((n) => n !== 20)) console.warn(`decoding stopped early: ${lengths}`);
Deno.bench("greedy decoding, 1 sentence at a time (20 tokens out)", { group: "decode" }, () => {
  decoder.translateIds([sentences[0]], 20);
});
Deno.bench("greedy decoding, batch of 32 (20 tokens out each)", { group: "decode" }, () => {
  decoder.translateIds(sentences, 20);
});
