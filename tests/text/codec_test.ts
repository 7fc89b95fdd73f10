// The word-level codec: text to tokens and back, as the StatQuest model reads and writes.
import { deepEqual, equal } from "node:assert/strict";
import { WordCodec } from "../../src/text/codec.ts";

Deno.test("words in, words out", () => {
  const c = new WordCodec();
  deepEqual(c.tokenize("Let's go"), ["let's", "go"]);
  equal(c.detokenize(["vamos"]), "vamos");
  equal(c.detokenize(c.tokenize("to go")), "to go");
});
