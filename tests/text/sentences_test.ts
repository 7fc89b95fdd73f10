// Sentence splitting (abbreviations, initials, quotes, numbers) and the splitting of an
// over-long sentence into pieces that fit, at clauses before words.
import { deepEqual, ok } from "node:assert/strict";
import { splitSentences, splitToFit } from "../../src/text/sentences.ts";

Deno.test("sentences end at terminal punctuation before a new sentence", () => {
  deepEqual(splitSentences("I am hungry. Where is Mr. Smith?"), [
    "I am hungry.",
    "Where is Mr. Smith?",
  ]);
  deepEqual(splitSentences("Dr. Martínez arrives at 3 p.m. today."), [
    "Dr. Martínez arrives at 3 p.m. today.",
  ]);
  deepEqual(splitSentences('He said "Stop!" Then he left.'), ['He said "Stop!"', "Then he left."]);
  deepEqual(splitSentences("¿Dónde está? ¡Aquí!"), ["¿Dónde está?", "¡Aquí!"]);
  deepEqual(splitSentences("It costs 3.50 euros."), ["It costs 3.50 euros."]);
  deepEqual(splitSentences("   "), []);
  deepEqual(splitSentences("no full stop at all"), ["no full stop at all"]);
});

Deno.test("an over-long sentence splits at clauses, then words, into pieces that fit", () => {
  const fits = (piece: string) => piece.split(" ").length <= 4;
  const s = "I went home, I ate dinner, and then I slept for a very long time";
  const pieces = splitToFit(s, fits);
  ok(pieces.every(fits), JSON.stringify(pieces));
  deepEqual(pieces.join(" "), s);
  ok(pieces[0].endsWith(","), "the first cut is at the clause");
});
