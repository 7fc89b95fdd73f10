import { equal } from "node:assert/strict";
import { corpusBleu, corpusChrf, exactMatch, tokenize13a } from "../../src/train/metrics.ts";
import { assertClose } from "../_helpers.ts";

// The example of sacreBLEU's README (two reference streams):
//   BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)
//   chrF2 = 59.73
const SYS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
const REFS = [
  ["The dog bit the man.", "The dog had bit the man."],
  ["It was not unexpected.", "No one was surprised."],
  ["The man bit him first.", "The man had bitten the dog."],
];

Deno.test("BLEU and chrF reproduce sacreBLEU's documented example", () => {
  const b = corpusBleu(SYS, REFS);
  equal(b.score.toFixed(2), "48.53");
  equal(b.precisions.map((p) => p.toFixed(1)).join("/"), "82.4/50.0/45.5/37.5");
  equal(b.bp.toFixed(3), "0.943");
  equal(b.sysLen, 17);
  equal(b.refLen, 18);
  equal(corpusChrf(SYS, REFS).toFixed(2), "59.73");
});

Deno.test("13a tokenization splits punctuation as mteval-v13a", () => {
  equal(tokenize13a("It wasn't surprising.").join(" "), "It wasn't surprising ."); // ' is not split
  equal(tokenize13a("¿Dónde está el baño?").join(" "), "¿Dónde está el baño ?");
  equal(tokenize13a("3.5 kg, 2-3 days").join(" "), "3.5 kg , 2 - 3 days");
});

Deno.test("BLEU by hand: one hypothesis, brevity penalty, smoothing", () => {
  // hyp "a b c d" vs ref "a b c d e": precisions 4/4, 3/3, 2/2, 1/1; BP = exp(1 − 5/4).
  const b = corpusBleu(["a b c d"], [["a b c d e"]]);
  assertClose([b.score], [100 * Math.exp(1 - 5 / 4)], { rtol: 1e-12 });
  // hyp "a x b y" vs ref "a x b y": perfect.
  assertClose([corpusBleu(["a x b y"], [["a x b y"]]).score], [100], { rtol: 1e-12 });
  // Unigram matches only (2/3), no bigram or higher: exp smoothing gives 100/(2·2),
  // 100/(4·1), and the 4-gram order has no n-grams at all (precision stays 0).
  const s = corpusBleu(["a b c"], [["a d b"]]);
  const p = [100 * 2 / 3, 100 / (2 * 2), 100 / (4 * 1), 0];
  equal(s.precisions.map((x) => x.toFixed(6)).join(), p.map((x) => x.toFixed(6)).join());
  assertClose([s.score], [
    Math.exp((Math.log(p[0]) + Math.log(p[1]) + Math.log(p[2]) - 9999999999) / 4),
  ], { rtol: 1e-12, atol: 1e-300 });
  // No match at all: 0.
  equal(corpusBleu(["x y"], [["a b"]]).score, 0);
  // The closest reference length decides the brevity penalty (ties: the shorter).
  equal(corpusBleu(["a b c"], [["a b c d", "a b"]]).refLen, 2);
});

Deno.test("exact match counts any reference", () => {
  equal(exactMatch(["Vamos.", "Hola"], [["Vámonos.", "Vamos."], ["Adiós"]]), 0.5);
});
