// The word-level tokenizer of the StatQuest model: lowercase words (apostrophes kept
// inside them) and single other characters, and back.
import { deepEqual, equal } from "node:assert/strict";
import { detokenizeWords, tokenizeWords } from "../../src/text/word_tokenizer.ts";

Deno.test("words and punctuation, lowercase", () => {
  deepEqual(tokenizeWords("Let's go!"), ["let's", "go", "!"]);
  deepEqual(tokenizeWords("let’s  go"), ["let's", "go"]);
  deepEqual(tokenizeWords(""), []);
});

Deno.test("detokenizing joins words with spaces, punctuation to the word before", () => {
  equal(detokenizeWords(["vamos"]), "vamos");
  equal(detokenizeWords(["vamos", "!"]), "vamos!");
});
