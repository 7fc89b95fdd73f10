// The dynamic batcher: texts of concurrent requests in shared batches, in order, and a
// full queue refused.
import { deepEqual, equal, rejects } from "node:assert/strict";
import { Batcher, QueueFullError } from "../../src/server/batcher.ts";
import type { TextResult } from "../../src/model/batch_translate.ts";

function upper() {
  const batches: string[][] = [];
  return {
    batches,
    translateEach(texts: readonly string[]): TextResult[] {
      batches.push([...texts]);
      return texts.map((t) => ({ translation: t.toUpperCase() }));
    },
  };
}

Deno.test("requests that arrive together share a batch and get their own texts back", async () => {
  const model = upper();
  const b = new Batcher(model, { windowMs: 20 });
  const [x, y] = await Promise.all([b.translate(["a", "b"]), b.translate(["c"])]);
  deepEqual(x.map((r) => r.translation), ["A", "B"]);
  deepEqual(y.map((r) => r.translation), ["C"]);
  deepEqual(model.batches, [["a", "b", "c"]]);
  deepEqual(b.stats, { batches: 1, texts: 3 });
  await b.drain();
});

Deno.test("more texts than the queue holds are refused", async () => {
  const b = new Batcher(upper(), { maxQueue: 2, windowMs: 20 });
  const first = b.translate(["a", "b"]);
  await rejects(b.translate(["c"]), QueueFullError);
  equal((await first).length, 2);
  await b.drain();
});
