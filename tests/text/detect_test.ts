// Language detection between English and Spanish, best first, with scores that add up.
import { equal, ok } from "node:assert/strict";
import { detectLanguage } from "../../src/text/detect.ts";

Deno.test("English and Spanish sentences are told apart", () => {
  for (const s of ["Where is the bathroom?", "I would like a table for two, please."]) {
    equal(detectLanguage(s)[0].language, "en", s);
  }
  for (const s of ["¿Dónde está el baño?", "Quisiera una mesa para dos, por favor."]) {
    equal(detectLanguage(s)[0].language, "es", s);
  }
});

Deno.test("each language gets a confidence, best first", () => {
  const d = detectLanguage("Tengo hambre");
  equal(d.length, 2);
  ok(d[0].confidence >= d[1].confidence);
  ok(d.every((x) => x.confidence >= 0 && x.confidence <= 100));
});
