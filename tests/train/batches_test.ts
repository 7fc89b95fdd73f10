// Batches: every example once, at most maxTokens tokens (padding included) and
// maxSentences sentences, similar lengths together, the same batches for the same seed.
import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { type Example, makeBatches } from "../../src/train/batches.ts";
import { seededRandom } from "../../src/model/random.ts";

const random = seededRandom(7);
const examples: Example[] = Array.from({ length: 200 }, (_, i) => ({
  src: Array.from({ length: 1 + Math.floor(random() * 20) }, () => i),
  tgt: Array.from({ length: Math.floor(random() * 20) }, () => i),
}));
const len = (e: Example) => Math.max(e.src.length, e.tgt.length + 1);

Deno.test("every example lands in one batch within the token and sentence limits", () => {
  const batches = makeBatches(examples, { maxTokens: 60, maxSentences: 8, seed: 1 });
  deepEqual(batches.flat().map((e) => e.src[0]).sort((a, b) => a - b), examples.map((_, i) => i));
  for (const b of batches) {
    ok(b.length <= 8);
    ok(b.length === 1 || Math.max(...b.map(len)) * b.length <= 60);
  }
  // Sorted by length before cutting: a batch's lengths are close.
  const spread = batches.map((b) => Math.max(...b.map(len)) - Math.min(...b.map(len)));
  ok(Math.max(...spread) <= 3, `spread ${Math.max(...spread)}`);
});

Deno.test("the seed decides the batches; one too long example is a batch alone", () => {
  const a = makeBatches(examples, { maxTokens: 60, seed: 1 });
  deepEqual(makeBatches(examples, { maxTokens: 60, seed: 1 }), a);
  notDeepEqual(makeBatches(examples, { maxTokens: 60, seed: 2 }), a);
  const long = makeBatches([{ src: Array(50).fill(1), tgt: [] }], { maxTokens: 10, seed: 0 });
  equal(long.length, 1);
});
