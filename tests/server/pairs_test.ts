// The language pairs a server serves: directions, languages as /languages lists them,
// and each model opened once, on the first request that needs it.
import { deepEqual, equal, throws } from "node:assert/strict";
import { LanguagePairs } from "../../src/server/pairs.ts";
import { statquestModel } from "../../models/statquest.ts";

Deno.test("a pair's model opens once, on first use", async () => {
  let opened = 0;
  const model = statquestModel(1);
  const pairs = new LanguagePairs({
    "en-es": () => {
      opened++;
      return Promise.resolve(model);
    },
  });
  equal(opened, 0);
  deepEqual(pairs.languages(), [
    { code: "en", name: "English", targets: ["es"] },
    { code: "es", name: "Spanish", targets: [] },
  ]);
  equal(pairs.find("en", "es"), "en-es");
  equal(pairs.find("es", "en"), undefined);
  const [a, b] = await Promise.all([pairs.get("en-es"), pairs.get("en-es")]);
  equal(a, b);
  equal(opened, 1);
  deepEqual((await a.batcher.translate(["to go"])).map((r) => r.translation), ["ir"]);
  equal((await pairs.loaded()).length, 1);
  await pairs.close();
  model.close();
});

Deno.test("a server needs at least one pair", () => {
  throws(() => new LanguagePairs({}), /needs a language pair/);
});
