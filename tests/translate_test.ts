// translate.ts run as a user runs it: subprocesses, no permission flags with the shipped
// models and the StatQuest model.
import { equal, match } from "node:assert/strict";
import { run } from "./_cli.ts";

Deno.test("deno run translate.ts translates with the shipped model, no permission flags", async () => {
  const r = await run([
    "run",
    "translate.ts",
    "I am hungry.",
    "Where is the bathroom?",
    "let's go",
  ]);
  equal(r.stderr, "");
  equal(r.stdout, "Tengo hambre.\n¿Dónde está el baño?\nVamos.\n");
  equal(r.code, 0);
});

Deno.test("translate.ts --model statquest prints vamos and ir, with no permission flags", async () => {
  const a = await run(["run", "translate.ts", "--model", "statquest", "let's go"]);
  equal(a.stderr, "");
  equal(a.stdout, "vamos\n");
  equal(a.code, 0);
  const b = await run(["run", "translate.ts", "--model", "statquest", "to go"]);
  equal(b.stdout, "ir\n");
  const both = await run(["run", "translate.ts", "--model", "statquest", "to go", "let's go"]);
  equal(both.stdout, "ir\nvamos\n");
});

Deno.test("translate.ts --beam and --nbest", async () => {
  const beam = await run(["run", "translate.ts", "--beam", "4", "I am hungry.", "let's go"]);
  equal(beam.code, 0, beam.stderr);
  equal(beam.stdout, "Tengo hambre.\nVamos.\n");
  const nbest = await run(["run", "translate.ts", "--nbest", "3", "let's go"]);
  equal(nbest.code, 0, nbest.stderr);
  const lines = nbest.stdout.trim().split("\n");
  equal(lines.length, 3);
  match(lines[0], /^0 \|\|\| Vamos\. \|\|\| -\d+\.\d{4}$/);
  const scores = lines.map((l) => Number(l.split(" ||| ")[2]));
  for (let i = 1; i < scores.length; i++) {
    if (scores[i] > scores[i - 1]) throw new Error(nbest.stdout);
  }
  const bad = await run(["run", "translate.ts", "--beam", "0", "hi"]);
  equal(bad.code, 2);
  match(bad.stderr, /--beam must be an integer from 1 to 32/);
});

Deno.test("translate.ts reads one sentence per line from stdin", async () => {
  const r = await run(["run", "translate.ts", "--model", "statquest"], "let's go\n\nto go\n");
  equal(r.stdout, "vamos\n\nir\n"); // an empty line in, an empty line out
  equal(r.code, 0);
});

Deno.test("translate.ts: unknown words, usage errors and help", async () => {
  const unknown = await run(["run", "translate.ts", "--model", "statquest", "let's dance"]);
  equal(unknown.code, 1);
  equal(unknown.stdout, "\n");
  match(
    unknown.stderr,
    /^translate: sentence 1: Unknown word: "dance"\. The model knows: let's, to, go\n$/,
  );
  const bad = await run(["run", "translate.ts", "--frobnicate"]);
  equal(bad.code, 2);
  equal(bad.stderr.trim().split("\n").length, 1);
  const empty = await run(["run", "translate.ts", "   "]);
  equal(empty.code, 2);
  match(empty.stderr, /Nothing to translate/);
  const help = await run(["run", "translate.ts", "--help"]);
  equal(help.code, 0);
  match(help.stdout, /Usage: deno run translate.ts/);
  const noPerm = await run(["run", "translate.ts", "--model", "nowhere.safetensors", "go"]);
  equal(noPerm.code, 2);
  match(noPerm.stderr, /needs permission: run deno run --allow-read=nowhere.safetensors/);
  const missing = await run([
    "run",
    "--allow-read",
    "translate.ts",
    "--model",
    "nowhere.safetensors",
    "go",
  ]);
  equal(missing.code, 1);
  match(missing.stderr, /No such model file: nowhere.safetensors/);
});

Deno.test("translate.ts --explain summarizes the shipped model's computation", async () => {
  const r = await run(["run", "translate.ts", "--explain", "I am hungry."]);
  equal(r.code, 0);
  match(r.stdout, /Translating "I am hungry\." → "Tengo hambre\."/);
  match(r.stdout, /average over heads/);
  match(r.stdout, /the five most likely next tokens/);
});

Deno.test("translate.ts --explain shows the textbook's steps", async () => {
  const r = await run(["run", "translate.ts", "--model", "statquest", "--explain", "let's go"]);
  equal(r.code, 0);
  match(r.stdout, /Similarity scores/);
  match(r.stdout, /→ "vamos"/);
  // The encoder-decoder keys and values are shown, as the video draws them.
  match(
    r.stdout,
    /encoder-decoder keys and values[^\n]*\n(\s+\S+\s+K \[[^\]]+\]\s+V \[[^\]]+\]\n){3}/,
  );
  // Every row of percentages adds up to 100.
  const rows = r.stdout.split("\n").filter((l) => /\d%/.test(l) && !/→/.test(l));
  const tables = r.stdout.split("\n").filter((l) => /^\s+\S+\s+(\d+%\s+)+$/.test(l));
  if (rows.length < 6 || tables.length < 3) {
    throw new Error(`too few percentage rows:\n${r.stdout}`);
  }
  for (const line of [...rows.filter((l) => l.includes("Softmax:")), ...tables]) {
    const sum = [...line.matchAll(/(\d+(?:\.\d)?)%/g)].reduce((a, m) => a + Number(m[1]), 0);
    equal(sum, 100, line);
  }
  const output = r.stdout.split("\n").filter((l) =>
    /^\s+(ir|vamos|y|<EOS>)\s+-?\d+\.\d+\s+\d+\.\d%$/.test(l)
  );
  equal(output.length, 8); // two steps, four words each
  for (let i = 0; i < output.length; i += 4) {
    const sum = output.slice(i, i + 4).reduce((a, l) => a + Number(/([\d.]+)%$/.exec(l)![1]), 0);
    equal(Math.round(sum * 10), 1000);
  }
});
