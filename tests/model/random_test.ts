// The seeded generator behind weights, batches and dropout: the same numbers for the same
// seed on every machine, in [0, 1), spread evenly.
import { deepEqual, notDeepEqual, ok } from "node:assert/strict";
import { seededRandom } from "../../src/model/random.ts";

Deno.test("same seed, same numbers; uniform in [0, 1)", () => {
  const take = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
  deepEqual(take(1), take(1));
  notDeepEqual(take(1), take(2));
  const r = seededRandom(42), n = 100_000;
  let sum = 0, low = 0;
  for (let i = 0; i < n; i++) {
    const x = r();
    ok(x >= 0 && x < 1);
    sum += x;
    if (x < 0.1) low++;
  }
  ok(Math.abs(sum / n - 0.5) < 0.01);
  ok(Math.abs(low / n - 0.1) < 0.01);
});
