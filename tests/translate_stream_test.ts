// translate.ts and Transformer.translate on real-sized input: streaming line by line
// in bounded batches, one line out per line in, per-line errors, paragraphs and
// sentences longer than the model takes.
import { deepEqual, equal, match } from "node:assert/strict";
import { statquestModel } from "../models/statquest.ts";
import { loadDefaultModel } from "../models/default.ts";
import { planBatches } from "../src/model/batch_translate.ts";
import { splitSentences, splitToFit } from "../src/text/sentences.ts";

const root = new URL("../", import.meta.url);

function spawnTranslate(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "translate.ts", ...args],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function runWith(args: string[], input: string | Uint8Array) {
  const child = spawnTranslate(args);
  const w = child.stdin.getWriter();
  await w.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("translate.ts answers each line as it arrives, before the input ends", async () => {
  const child = spawnTranslate(["--model", "statquest"]);
  const w = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let got = "";
  const nextLine = async () => {
    while (!got.includes("\n")) {
      const r = await lines.read();
      if (r.done) throw new Error(`stdout ended early: "${got}"`);
      got += r.value;
    }
    const line = got.slice(0, got.indexOf("\n"));
    got = got.slice(got.indexOf("\n") + 1);
    return line;
  };
  const enc = new TextEncoder();
  await w.write(enc.encode("let's go\n"));
  equal(await nextLine(), "vamos"); // stdin is still open
  await w.write(enc.encode("to go\n"));
  equal(await nextLine(), "ir");
  await w.close();
  const r = await lines.read();
  equal(r.done, true);
  const status = await child.status;
  equal(status.code, 0);
  await child.stderr.cancel();
});

Deno.test("translate.ts: one line out per line in; bad lines are empty, named and make exit 1", async () => {
  const r = await runWith(
    ["--model", "statquest"],
    "let's go\n\nto go\r\nlet's dance\n   \nto go",
  );
  equal(r.stdout, "vamos\n\nir\n\n\nir\n");
  equal(r.stderr, 'translate: line 4: Unknown word: "dance". The model knows: let\'s, to, go\n');
  equal(r.code, 1);
  // A line too long to buffer is reported, not held in memory; the next lines still work.
  const long = await runWith(["--model", "statquest"], `${"go ".repeat(40_000)}\nto go\n`);
  equal(long.stdout, "\nir\n");
  match(long.stderr, /^translate: line 1: longer than 100000 characters; not translated\n$/);
  equal(long.code, 1);
  // Bytes that are not UTF-8 are text with replacement characters, not echoed raw.
  const binary = await runWith(["--model", "statquest"], new Uint8Array([0xff, 0xfe, 10, 0x80]));
  equal(binary.stdout, "\n\n");
  equal(binary.stderr.split("\n").filter(Boolean).length, 2);
  equal(binary.code, 1);
});

Deno.test("translate.ts streams thousands of lines in input order", async () => {
  const input = Array.from({ length: 3000 }, (_, i) => (i % 3 ? "let's go" : "to go"));
  const r = await runWith(["--model", "statquest"], input.join("\n") + "\n");
  equal(r.code, 0, r.stderr);
  deepEqual(r.stdout.split("\n").slice(0, -1), input.map((l) => (l === "to go" ? "ir" : "vamos")));
});

Deno.test("translate() takes any number of sentences, in bounded batches", () => {
  const statquest = statquestModel();
  const many = Array.from({ length: 2100 }, (_, i) => (i % 2 ? "let's go" : "to go"));
  const used = statquest.core.rt.usedBytes;
  const out = statquest.translate(many);
  equal(out.length, 2100);
  equal(out[0], "ir");
  equal(out[2099], "vamos");
  equal(statquest.core.rt.usedBytes, used); // every batch's memory was given back
  if (statquest.core.rt.memory.buffer.byteLength > 64 * 2 ** 20) throw new Error("memory grew");
  // Batches: sorted by length, at most 64 sentences, in input order among equals.
  const plan = planBatches([5, 1, 5, 3, ...new Array(100).fill(2)]);
  equal(plan.length, 2);
  equal(plan[0].length, 64);
  deepEqual(plan[0].slice(0, 3), [1, 4, 5]);
  deepEqual(plan.flat().sort((a, b) => a - b), Array.from({ length: 104 }, (_, i) => i));
});

Deno.test("sentences: paragraphs split and rejoined, over-long sentences split to fit", async () => {
  deepEqual(
    splitSentences('I am hungry. Where is the bathroom? Mr. Smith said "Hi!" Then J. K. left.'),
    [
      "I am hungry.",
      "Where is the bathroom?",
      'Mr. Smith said "Hi!"',
      "Then J. K. left.",
    ],
  );
  deepEqual(splitSentences("   "), []);
  deepEqual(splitSentences("no capital. after this"), ["no capital. after this"]);
  const fits = (p: string) => p.split(" ").length <= 3;
  deepEqual(splitToFit("a b, c d e f, g", fits), ["a b,", "c d e", "f,", "g"]);
  deepEqual(splitToFit("abcdef", (p) => p.length <= 4), ["abcd", "ef"]);

  const model = await loadDefaultModel({ threads: 1 });
  try {
    equal(
      model.translate("I am hungry. Where is the bathroom?"),
      "Tengo hambre. ¿Dónde está el baño?",
    );
    equal(model.translate(""), "");
    // 200 tokens are far past the model's 64: translated piece by piece (four pieces; the
    // model itself drops some of the repeated clauses of each). One translation of at most
    // 64 tokens holds at most 16 "tengo hambre,", so more than 16 means several pieces.
    const long = Array.from({ length: 50 }, () => "I am hungry,").join(" ");
    const t = model.translate(long);
    if (t.split("hambr").length - 1 <= 16) {
      throw new Error(`too little translated: ${t.slice(0, 100)}`);
    }
    // Batched translation equals one sentence at a time.
    const sentences = [
      "Where is the bathroom?",
      "I am hungry.",
      "Tom is proud of his son.",
      "Do you want me to take you home?",
      "let's go",
      "She said that she was happy.",
    ];
    deepEqual(model.translate(sentences), sentences.map((s) => model.translate(s)));
  } finally {
    model.close();
  }
});
