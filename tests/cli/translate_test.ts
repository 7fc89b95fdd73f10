// The command-line tools, run as a user runs them: subprocesses, no permission flags
// for translate.ts with the default model.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { loadCheckpoint } from "../../src/checkpoint/checkpoint.ts";
import { recordedRun } from "../../src/checkpoint/run_record.ts";
import { numbersData, run, SMALL, testInTempDir, trainSmall } from "../_cli.ts";

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

testInTempDir(
  "train.ts --preset statquest writes a checkpoint translate.ts --model reads",
  async (dir) => {
    const out = `${dir}/toy.safetensors`;
    const t = await run(["run", "-A", "train.ts", "--preset", "statquest", "--out", out]);
    equal(t.code, 0, t.stderr);
    equal(t.stdout, "let's go -> vamos\nto go -> ir\n");
    const r = await run([
      "run",
      `--allow-read=${out}`,
      "translate.ts",
      "--model",
      out,
      "to go",
      "let's go",
    ]);
    equal(r.stdout, "ir\nvamos\n");
    // A damaged file is reported on one line, exit code 1.
    const bytes = await Deno.readFile(out);
    await Deno.writeFile(out, bytes.subarray(0, bytes.length / 2));
    const bad = await run(["run", `--allow-read=${out}`, "translate.ts", "--model", out, "to go"]);
    equal(bad.code, 1);
    match(bad.stderr, /^translate: Cannot load \/.*toy\.safetensors: .*truncated.*\n$/);
  },
);

testInTempDir("train.ts reports a data file's bad line and a bad flag", async (dir) => {
  const data = `${dir}/pairs.tsv`;
  await Deno.writeTextFile(data, "go\tve\nno tab here\n");
  const r = await run(["run", "-A", "train.ts", "--data", data, "--out", `${dir}/m.safetensors`]);
  equal(r.code, 1);
  match(r.stderr, /line 2: expected "english<TAB>spanish"/);
  const flag = await run(["run", "-A", "train.ts", "--epochs", "many"]);
  equal(flag.code, 2);
  match(flag.stderr, /--epochs must be a positive integer/);
  const copies = await run(["run", "-A", "train.ts", "--textbook-copies", "3"]);
  equal(copies.code, 2);
  match(copies.stderr, /--textbook-copies needs --textbook/);
  // A missing file is one line naming it, from every tool.
  const noData = await run(["run", "-A", "train.ts", "--data", `${dir}/none.tsv`]);
  equal(noData.code, 1);
  equal(noData.stderr, `train: No such data file: ${dir}/none.tsv\n`);
  await Deno.writeTextFile(`${dir}/good.tsv`, "go\tve\n");
  const noResume = await run([
    "run",
    "-A",
    "train.ts",
    "--data",
    `${dir}/good.tsv`,
    "--resume",
    `${dir}/none.st`,
  ]);
  equal(noResume.stderr, `train: No such checkpoint: ${dir}/none.st\n`);
  const evalNoData = await run([
    "run",
    "-A",
    "eval.ts",
    "--model",
    "default",
    "--data",
    `${dir}/none.tsv`,
  ]);
  equal(evalNoData.code, 1);
  equal(evalNoData.stderr, `eval: No such data file: ${dir}/none.tsv\n`);
});

testInTempDir(
  "train.ts: checksum check, held-out evaluation, loss curve, eval.ts on the test split",
  async (dir) => {
    const data = await numbersData(dir);
    const zeros = "0".repeat(64);
    const bad = await run(["run", "-A", "train.ts", "--data", data, "--sha256", zeros, ...SMALL]);
    equal(bad.code, 1);
    match(bad.stderr, new RegExp(`has sha256 [0-9a-f]{64}, expected ${zeros}`));
    const out = `${dir}/m.safetensors`;
    const t = await trainSmall(data, [
      "--dev",
      "0.1",
      "--test",
      "0.1",
      "--max-steps",
      "6",
      "--eval-every",
      "3",
      "--casual",
      "0.5",
      "--textbook",
      "--textbook-copies",
      "2",
      "--ship",
      "--out",
      out,
    ]);
    equal(t.code, 0, t.stderr);
    match(t.stderr, /step 3: validation loss [0-9.]+, dev BLEU [0-9.]+/);
    match(t.stderr, / training pairs, 10 dev and 10 test pairs held out/);
    // --ship: the weights alone, and the full checkpoint (Adam's moments too) beside them.
    const shipped = loadCheckpoint(await Deno.readFile(out));
    equal(shipped.optimizer, undefined);
    equal(recordedRun(shipped.metadata).textbook_copies, 2);
    const full = loadCheckpoint(await Deno.readFile(`${dir}/m.full.safetensors`));
    equal(full.optimizer?.step, 6);
    deepEqual(shipped.model.translate("one and two."), full.model.translate("one and two."));
    shipped.model.close();
    full.model.close();
    match(await Deno.readTextFile(`${out}.loss.svg`), /<svg[^>]*>[\s\S]*validation loss/);
    const e = await run([
      "run",
      "-A",
      "eval.ts",
      "--model",
      out,
      "--data",
      data,
      "--split",
      "test",
    ]);
    equal(e.code, 0, e.stderr);
    match(
      e.stdout,
      /^greedy: 10 sentences, 10 references, .*\nBLEU [0-9.]+ .*\nchrF [0-9.]+\nexact match [0-9.]+%\n$/,
    );
  },
);

testInTempDir(
  "train.ts: Ctrl-C saves a checkpoint, and --resume ends where an uninterrupted run ends",
  async (dir) => {
    const data = await numbersData(dir);
    const args = [
      "run",
      "-A",
      "train.ts",
      "--data",
      data,
      ...SMALL,
      "--epochs",
      "400",
      "--max-steps",
      "150",
    ];
    const straight = await run([...args, "--out", `${dir}/straight.safetensors`]);
    equal(straight.code, 0, straight.stderr);
    const child = new Deno.Command(Deno.execPath(), {
      args: [...args, "--out", `${dir}/cut.safetensors`],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Interrupt once training is under way.
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!/step \d+\/150/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    const status = await child.status;
    await child.stdout.cancel();
    equal(status.code, 130, seen);
    // The message gives the whole command that continues the run; it needs no other flag
    // (the length, --epochs 400 --max-steps 150, is recorded in the checkpoint).
    const found = /continue with: deno run -A train\.ts (.*)\n/.exec(seen);
    ok(found, seen);
    const command = found;
    deepEqual(command[1].split(" "), [
      "--resume",
      `${dir}/cut.safetensors`,
      "--data",
      data,
      "--threads",
      "1",
    ]);
    ok(
      Deno.statSync(`${dir}/cut.safetensors.loss.svg`).isFile,
      "the interrupted save draws the curve",
    );
    const resumed = await run(["run", "-A", "train.ts", ...command[1].split(" ")]);
    equal(resumed.code, 0, resumed.stderr);
    // Resumed again with nothing left to do: said so, non-zero, the file untouched.
    const done = await Deno.readFile(`${dir}/cut.safetensors`);
    const again = await run(["run", "-A", "train.ts", ...command[1].split(" ")]);
    equal(again.code, 1, again.stderr);
    match(
      again.stderr,
      /nothing left to train, the run has done its 400 epochs \(or --max-steps 150\) at step 150; give a larger --epochs or --max-steps/,
    );
    deepEqual(await Deno.readFile(`${dir}/cut.safetensors`), done);
    // Same weights (the metadata differs only in the recorded training time).
    const { loadCheckpoint } = await import("../../src/checkpoint/checkpoint.ts");
    const a = loadCheckpoint(await Deno.readFile(`${dir}/straight.safetensors`), { threads: 1 });
    const b = loadCheckpoint(await Deno.readFile(`${dir}/cut.safetensors`), { threads: 1 });
    deepEqual(b.model.core.params.values.toArray(), a.model.core.params.values.toArray());
    equal(b.optimizer?.step, 150);
  },
);

Deno.test("the progress line: bar, step, loss, rate, elapsed and time left", async () => {
  const { formatDuration, progressLine } = await import("../../src/cli/progress.ts");
  equal(formatDuration(42), "42s");
  equal(formatDuration(187), "3m07s");
  equal(formatDuration(3900), "1h05m");
  equal(formatDuration(Infinity), "?");
  const line = progressLine(
    {
      step: 10,
      totalSteps: 40,
      epoch: 0,
      loss: 2.3456,
      tokensPerSecond: 1234.4,
      elapsed: 20,
    } as Parameters<typeof progressLine>[0],
    0,
  );
  equal(
    line,
    "[#####...............] epoch 1 step 10/40 loss 2.346 1234 tok/s, 20s elapsed, 1m00s left",
  );
});
