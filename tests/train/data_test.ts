// Data preparation: TSV parsing, the split by source sentence, the casual-typing
// variants and the StatQuest pairs.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  addCasualVariants,
  groupBySource,
  orientPairs,
  parseTsv,
  splitBySource,
  statquestPairs,
  withoutSentencesOf,
} from "../../src/train/data.ts";

Deno.test("parseTsv keeps two columns, ignores extra ones and blank lines, names a bad line", () => {
  deepEqual(parseTsv("Hi.\tHola.\tCC-BY 2.0 (France) Attribution\r\n\nGo.\tVe.\n"), [
    { source: "Hi.", target: "Hola." },
    { source: "Go.", target: "Ve." },
  ]);
  throws(() => parseTsv("Hi.\tHola.\nno tab here\n", "pairs.tsv"), /pairs\.tsv, line 2: expected/);
  throws(() => parseTsv("Hi.\t \n", "pairs.tsv"), /line 1/);
  throws(() => parseTsv("\n\n", "pairs.tsv"), /pairs\.tsv has no sentence pairs/);
});

Deno.test("splitBySource keeps every translation of a sentence on one side, seeded", () => {
  const pairs = [];
  for (let i = 0; i < 200; i++) {
    for (let j = 0; j <= i % 3; j++) pairs.push({ source: `s${i}`, target: `t${i}.${j}` });
  }
  const a = splitBySource(pairs, { dev: 0.1, test: 0.05, seed: 7 });
  const sources = (ps: { source: string }[]) => new Set(ps.map((p) => p.source));
  equal(sources(a.dev).size, 20);
  equal(sources(a.test).size, 10);
  equal(sources(a.train).size, 170);
  equal(a.train.length + a.dev.length + a.test.length, pairs.length);
  for (const s of sources(a.dev)) ok(!sources(a.train).has(s) && !sources(a.test).has(s));
  for (const s of sources(a.test)) ok(!sources(a.train).has(s));
  deepEqual(splitBySource(pairs, { dev: 0.1, test: 0.05, seed: 7 }), a);
  const b = splitBySource(pairs, { dev: 0.1, test: 0.05, seed: 8 });
  ok(JSON.stringify(b.dev) !== JSON.stringify(a.dev), "another seed, another split");
});

Deno.test("withoutSentencesOf: the other direction's held-out sentences, on either side, are left out", () => {
  // Pairs as the file has them (English, Spanish): two Spanish sentences shared by two English.
  const file = [];
  for (let i = 0; i < 300; i++) file.push({ source: `e${i}`, target: `s${i % 150}` });
  const enEs = splitBySource(file, { dev: 0.05, test: 0.05, seed: 3 });
  const esEn = splitBySource(orientPairs(file, "es-en"), { dev: 0.05, test: 0.05, seed: 3 });
  const kept = withoutSentencesOf(esEn.train, [...enEs.dev, ...enEs.test]);
  const heldOut = new Set([...enEs.dev, ...enEs.test].flatMap((p) => [p.source, p.target]));
  ok(kept.length > 0 && kept.length < esEn.train.length, `${kept.length} of ${esEn.train.length}`);
  for (const p of kept) ok(!heldOut.has(p.source) && !heldOut.has(p.target), JSON.stringify(p));
  // Every pair of esEn.train that shares no sentence with them is kept, in order.
  deepEqual(kept, esEn.train.filter((p) => !heldOut.has(p.source) && !heldOut.has(p.target)));
});

Deno.test("addCasualVariants adds lowercase, unpunctuated copies of a seeded fraction", () => {
  const pairs = Array.from({ length: 1000 }, (_, i) => ({
    source: `Sentence number ${i}?!`,
    target: `Frase ${i}.`,
  }));
  const out = addCasualVariants(pairs, 0.3, 1);
  deepEqual(out.slice(0, 1000), pairs);
  const added = out.slice(1000);
  ok(added.length > 250 && added.length < 350, `${added.length} variants for 30% of 1000`);
  for (const p of added) {
    const i = Number(p.source.split(" ")[2]);
    deepEqual(p, { source: `sentence number ${i}`, target: `Frase ${i}.` });
  }
  deepEqual(addCasualVariants(pairs, 0.3, 1), out);
  // Nothing is added when the casual form is the sentence itself.
  equal(addCasualVariants([{ source: "ok", target: "vale" }], 1, 1).length, 1);
});

Deno.test("statquestPairs: the StatQuest pairs as typed and as written, repeated", () => {
  deepEqual(statquestPairs(), [
    { source: "let's go", target: "Vamos." },
    { source: "Let's go.", target: "Vamos." },
    { source: "to go", target: "Ir." },
    { source: "To go.", target: "Ir." },
  ]);
  const three = statquestPairs(3);
  equal(three.length, 12);
  deepEqual(three.slice(8), statquestPairs());
  deepEqual(statquestPairs(0), []);
});

Deno.test("groupBySource collects every reference of a source, in order", () => {
  deepEqual(
    groupBySource([
      { source: "a", target: "1" },
      { source: "b", target: "2" },
      { source: "a", target: "3" },
    ]),
    [{ source: "a", references: ["1", "3"] }, { source: "b", references: ["2"] }],
  );
});

Deno.test("es-en reads the data the other way: Spanish sources, split by Spanish sentence", () => {
  const pairs = parseTsv("Go.\tVe.\nGo.\tVaya.\nHi.\tHola.\n");
  const es = orientPairs(pairs, "es-en");
  deepEqual(es, [
    { source: "Ve.", target: "Go." },
    { source: "Vaya.", target: "Go." },
    { source: "Hola.", target: "Hi." },
  ]);
  deepEqual(orientPairs(pairs, "en-es"), pairs);
  // Two Spanish sources of one English sentence are two groups in es-en.
  equal(groupBySource(es).length, 3);
  deepEqual(statquestPairs(1, "es-en").slice(0, 2), [
    { source: "vamos", target: "Let's go." },
    { source: "Vamos.", target: "Let's go." },
  ]);
  // Spanish typed casually: no opening ¿ or ¡ either.
  deepEqual(addCasualVariants([{ source: "¿Dónde está?", target: "Where is it?" }], 1, 1)[1], {
    source: "dónde está",
    target: "Where is it?",
  });
});
