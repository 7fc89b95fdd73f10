// The vocabulary shortlist: Model 1 learns which target tokens a source token brings; a
// checkpoint carries the lists and the loader refuses broken ones; decoding over a list
// that holds every token is decoding over the vocabulary, bit for bit; a sentence's
// translation only uses its list, and does not depend on the batch it is in.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { CheckpointError, loadCheckpoint, saveModel } from "../../src/checkpoint/checkpoint.ts";
import {
  parseSafetensors,
  readIntegers,
  writeSafetensors,
} from "../../src/checkpoint/safetensors.ts";
import { createModel } from "../../src/model/model.ts";
import { Shortlist } from "../../src/model/shortlist.ts";
import { learnShortlist } from "../../src/train/shortlist.ts";
import { beamDecode } from "../../src/model/beam.ts";
import { greedyDecode } from "../../src/model/incremental_decoder.ts";
import { Vocabulary } from "../../src/text/vocabulary.ts";
import { seededRandom } from "../../src/model/random.ts";
import { loadDefaultModel } from "../../models/default.ts";
import { editHeader } from "../_safetensors_edit.ts";
import { VamosError } from "../../src/errors.ts";

const words = Array.from({ length: 9 }, (_, i) => `w${i}`);
const vocab = new Vocabulary([...words, "<SOS>", "<EOS>"]);
const EOS = vocab.eos;

function randomModel(seed: number, int8: boolean) {
  const m = createModel("small", {
    srcVocab: vocab,
    tgtVocab: vocab,
    seed,
    threads: 1,
    overrides: { dModel: 16, heads: 2, dFF: 32, maxLen: 12 },
  });
  if (int8) m.core.params.useInt8(true);
  return m;
}

const random = seededRandom(5);
const SOURCES = Array.from({ length: 9 }, () => [
  ...Array.from({ length: 1 + Math.floor(random() * 7) }, () => Math.floor(random() * 9)),
  EOS,
]);

// Every target token for every source token: the shortlist that leaves nothing out.
function everything(): Shortlist {
  const all = Array.from({ length: vocab.size }, (_, t) => t);
  return new Shortlist(
    vocab.size,
    new Uint8Array(vocab.size),
    new Uint16Array(0),
    new Uint16Array(all),
  );
}

Deno.test("learnShortlist: Model 1 finds each source word's translation", () => {
  // Source words 0..3 translate to 4..7 in every pair, in scrambled order; no word
  // ever comes alone, so co-occurrence alone cannot tell them apart, EM can.
  const pairs: { source: number[]; target: number[] }[] = [];
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) {
      if (a !== b) pairs.push({ source: [a, b, EOS], target: [b + 4, a + 4, EOS] });
    }
  }
  const s = learnShortlist(pairs, vocab.size, vocab.size, {
    perSource: 1,
    frequent: 1,
    sameToken: () => -1,
  });
  for (let a = 0; a < 4; a++) deepEqual([...s.tokensFor([a])], [a + 4, EOS].sort((x, y) => x - y));
  equal(s.frequent.length, 1);
  // Unseen source tokens list nothing but what sameToken gives them.
  const same = learnShortlist(pairs, vocab.size, vocab.size, {
    perSource: 1,
    frequent: 1,
    sameToken: (t) => t,
  });
  deepEqual([...same.tokensFor([8])], [8, EOS]);
  throws(() => learnShortlist([{ source: [99], target: [1] }], vocab.size, vocab.size), VamosError);
  throws(() => learnShortlist(pairs, vocab.size, vocab.size, { perSource: 300 }), VamosError);
});

Deno.test("Shortlist: lists that do not add up or leave the vocabulary are refused", () => {
  throws(
    () => new Shortlist(4, new Uint8Array([2]), new Uint16Array([1]), new Uint16Array([0])),
    /add up to 2 targets, but it holds 1/,
  );
  throws(
    () => new Shortlist(4, new Uint8Array([1]), new Uint16Array([4]), new Uint16Array([0])),
    /targets hold token 4, beyond the 4/,
  );
  throws(
    () => new Shortlist(4, new Uint8Array([0]), new Uint16Array([]), new Uint16Array([9])),
    /frequent tokens hold token 9/,
  );
  throws(
    () => new Shortlist(4, new Uint8Array([0]), new Uint16Array([]), new Uint16Array([])),
    /no frequent tokens/,
  );
  const s = new Shortlist(
    5,
    new Uint8Array([2, 1]),
    new Uint16Array([4, 1, 3]),
    new Uint16Array([0]),
  );
  deepEqual([...s.tokensFor([1, 0, 1])], [0, 1, 3, 4]);
  deepEqual([...s.tokensFor([7, -1])], [0]); // ids it does not cover list nothing
});

Deno.test("safetensors: U8 and U16 tensors round-trip", () => {
  const bytes = writeSafetensors([
    { name: "a", shape: [3], data: new Uint8Array([0, 7, 255]) },
    { name: "b", shape: [2], data: new Uint16Array([1, 65535]) },
    { name: "c", shape: [1], data: new Float32Array([0.5]) },
  ], {});
  const file = parseSafetensors(bytes);
  deepEqual([...readIntegers(file, "a")], [0, 7, 255]);
  deepEqual([...readIntegers(file, "b")], [1, 65535]);
  equal(readIntegers(file, "b") instanceof Uint16Array, true);
  throws(() => readIntegers(file, "c"), CheckpointError);
});

Deno.test("a checkpoint carries its shortlist; broken ones are refused in one line", () => {
  const m = randomModel(1, false);
  m.shortlist = learnShortlist(
    SOURCES.map((s) => ({ source: s, target: [...s].reverse() })),
    vocab.size,
    vocab.size,
  );
  const bytes = saveModel(m);
  const back = loadCheckpoint(bytes).model;
  deepEqual(back.shortlist?.counts, m.shortlist.counts);
  deepEqual(back.shortlist?.targets, m.shortlist.targets);
  deepEqual(back.shortlist?.frequent, m.shortlist.frequent);
  back.close();
  // 8-bit checkpoints carry it too.
  const q = loadCheckpoint(saveModel(m, { dtype: "I8" })).model;
  deepEqual(q.shortlist?.targets, m.shortlist.targets);
  q.close();
  // deno-lint-ignore no-explicit-any
  const refuse = (edit: (h: Record<string, any>) => void, pattern: RegExp) => {
    const broken = editHeader(bytes, edit);
    throws(() => loadCheckpoint(broken), (e) => {
      ok(e instanceof CheckpointError, String(e));
      ok(pattern.test(e.message), e.message);
      ok(!e.message.includes("\n"), e.message);
      return true;
    });
  };
  // The same file without one of the three tensors.
  const file = parseSafetensors(bytes);
  const without = writeSafetensors(
    [...file.tensors].filter(([name]) => name !== "shortlist.frequent").map(([name, t]) => {
      const at = file.dataStart + t.begin;
      const data = t.dtype === "F32"
        ? new Float32Array(bytes.slice(at, file.dataStart + t.end).buffer)
        : readIntegers(file, name);
      return { name, shape: t.shape, data };
    }),
    file.metadata,
  );
  throws(() => loadCheckpoint(without), /a shortlist needs tensors .*; this file has only/);
  refuse((h) => {
    h["shortlist.targets"].dtype = "U8";
    h["shortlist.targets"].shape = [2 * h["shortlist.targets"].shape[0]];
  }, /"shortlist.targets" must be U16/);
  refuse((h) => {
    // One count fewer: the counts no longer cover the source vocabulary.
    const t = h["shortlist.counts"];
    t.shape = [t.shape[0] - 1];
    t.data_offsets = [t.data_offsets[0], t.data_offsets[1] - 1];
    h["shortlist.padding"] = {
      dtype: "U8",
      shape: [1],
      data_offsets: [t.data_offsets[1], t.data_offsets[1] + 1],
    };
  }, /one count per source token|not a parameter/);
  // A target beyond the vocabulary, written by hand.
  const tensors = parseSafetensors(bytes);
  const targets = readIntegers(tensors, "shortlist.targets") as Uint16Array;
  const badTargets = targets.slice();
  badTargets[0] = 60000;
  const rewritten = saveModel(m).slice();
  const at = tensors.dataStart + tensors.tensors.get("shortlist.targets")!.begin;
  new DataView(rewritten.buffer).setUint16(at, badTargets[0], true);
  throws(() => loadCheckpoint(rewritten), /shortlist's targets hold token 60000/);
  // Integers where weights belong.
  refuse((h) => {
    const name = "generator.bias";
    const t = h[name];
    h[name] = { ...t, dtype: "U16", shape: [(t.data_offsets[1] - t.data_offsets[0]) / 2] };
  }, /generator.bias/);
  m.close();
});

Deno.test("a shortlist of every token decodes exactly as the whole vocabulary", () => {
  for (const int8 of [false, true]) {
    const m = randomModel(2, int8);
    const opts = { start: m.startId, eos: EOS, maxTokens: 8 };
    const all = everything();
    deepEqual(
      greedyDecode(m.core, SOURCES, { ...opts, shortlist: all }),
      greedyDecode(m.core, SOURCES, opts),
      `greedy, int8 ${int8}`,
    );
    // The same hypotheses; in 8 bits with the same scores, bit for bit (the integer sums
    // are exact), in f32 to rounding (each sentence's rows are a product of their own).
    const listed = beamDecode(m.core, SOURCES, { ...opts, beam: 3, nbest: 3, shortlist: all });
    const whole = beamDecode(m.core, SOURCES, { ...opts, beam: 3, nbest: 3 });
    if (int8) deepEqual(listed, whole);
    else {
      deepEqual(
        listed.map((h) => h.map((x) => x.tokens)),
        whole.map((h) => h.map((x) => x.tokens)),
      );
      listed.flat().forEach((h, i) => ok(Math.abs(h.score - whole.flat()[i].score) < 1e-5));
    }
    m.close();
  }
});

Deno.test("a sentence's translation uses only its shortlist, in any batch", () => {
  for (const int8 of [false, true]) {
    const m = randomModel(3, int8);
    // Source token t may become t or t + 1; every sentence may end.
    const counts = new Uint8Array(vocab.size).fill(0);
    const lists: number[] = [];
    for (let t = 0; t < 9; t++) {
      const mine = [t, Math.min(8, t + 1)].filter((x, i, a) => a.indexOf(x) === i);
      counts[t] = mine.length;
      lists.push(...mine);
    }
    const s = new Shortlist(vocab.size, counts, new Uint16Array(lists), new Uint16Array([EOS]));
    const opts = { start: m.startId, eos: EOS, maxTokens: 8, shortlist: s };
    for (const beam of [1, 4]) {
      const together = beamDecode(m.core, SOURCES, { ...opts, beam, nbest: beam });
      SOURCES.forEach((src, i) => {
        const allowed = new Set(s.tokensFor(src));
        for (const h of together[i]) ok(h.tokens.every((t) => allowed.has(t)), `${h.tokens}`);
        // In 8 bits a row's numbers do not depend on the rows beside it (exact integer
        // sums), so alone it is the same, bit for bit; f32 products sum in an order that
        // follows the batch's shape.
        if (int8) {
          deepEqual(beamDecode(m.core, [src], { ...opts, beam, nbest: beam })[0], together[i]);
        }
      });
    }
    m.close();
  }
});

Deno.test("the shipped models' shortlists: the same translations in a batch and alone, on 1 and 2 threads", async () => {
  const sentences = [
    "Where is the bathroom?",
    "I hate to interrupt you, but I need to say something.",
    "The printer on the second floor is broken again.",
    "Tom",
  ];
  const one = await loadDefaultModel({ threads: 1 });
  const two = await loadDefaultModel({ threads: 2 });
  ok(one.shortlist, "the shipped model has a shortlist");
  const on = { shortlist: true };
  const batch = one.translate(sentences, on);
  deepEqual(sentences.map((s) => one.translate(s, on)), batch);
  deepEqual(two.translate(sentences, on), batch);
  equal(batch[0], "¿Dónde está el baño?");
  // useShortlist is the default a call's options override.
  two.useShortlist = true;
  deepEqual(two.translate(sentences), batch);
  // By default it decodes over all 8,000 tokens: the shipped sentences come out the same.
  equal(one.translate(sentences[0]), batch[0]);
  deepEqual(one.translate(sentences), one.translate(sentences, { shortlist: false }));
  // A sentence the two decode differently: the default is the whole vocabulary's.
  const differs = "Workers lost their jobs.";
  equal(one.translate(differs), "Los trabajadores perdieron sus trabajos.");
  equal(one.translate(differs, on), "Faltaron sus trabajos.");
  throws(
    () => one.translate("hi", { shortlist: "no" as unknown as boolean }),
    /shortlist must be true or false/,
  );
  one.close();
  two.close();
});
