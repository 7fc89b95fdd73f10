// Text hygiene: control characters removed, runs shortened, and lines that are not text
// (binary data, noise) told apart from text with a stray control character.
import { equal } from "node:assert/strict";
import { cleanText, notTextProblem } from "../../src/text/hygiene.ts";

Deno.test("cleanText removes controls and keeps text", () => {
  equal(cleanText("Hi!\u0007 there"), "Hi! there");
  equal(cleanText("tab\tand\nline"), "tab\tand\nline");
  equal(cleanText("¿Dónde está el baño?"), "¿Dónde está el baño?");
});

Deno.test("notTextProblem: binary and noise, not text with a stray control", () => {
  equal(notTextProblem("\u0000\u0001S\u0002"), "is not text (binary data or noise)");
  equal(notTextProblem("ab\u0000cd"), "is not text (binary data or noise)");
  equal(notTextProblem("\uFFFD\uFFFD\uFFFD\uFFFDa"), "is not text (binary data or noise)");
  equal(notTextProblem("Where is it?\u0007"), undefined);
  // More than one character in ten that no text holds: noise, however short.
  equal(notTextProblem("Hi!\u0007"), "is not text (binary data or noise)");
  equal(notTextProblem("Où est la gare ? 🚉"), undefined);
  equal(notTextProblem(""), undefined);
});
