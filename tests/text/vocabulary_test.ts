// A vocabulary: ids by token and back, its special tokens, and the error that names
// unknown words.
import { deepEqual, equal, throws } from "node:assert/strict";
import { EOS, SOS, UNK, UnknownTokenError, Vocabulary } from "../../src/text/vocabulary.ts";

Deno.test("ids and tokens, both ways", () => {
  const v = new Vocabulary([EOS, "vamos", "ir", UNK]);
  equal(v.size, 4);
  equal(v.id("ir"), 2);
  equal(v.id("nada"), undefined);
  equal(v.eos, 0);
  equal(v.unk, 3);
  deepEqual(v.decode([1, 2]), ["vamos", "ir"]);
});

Deno.test("a vocabulary needs EOS and no token twice", () => {
  throws(() => new Vocabulary(["a", "b"]), new RegExp(`no ${EOS}`));
  throws(() => new Vocabulary([EOS, "a", "a"]), /"a" twice/);
  equal(new Vocabulary([EOS, SOS]).unk, undefined);
});

Deno.test("unknown words are named with what the model knows", () => {
  const e = new UnknownTokenError(["dance"], ["let's", "to", "go"]);
  equal(e.message, 'Unknown word: "dance". The model knows: let\'s, to, go');
});
