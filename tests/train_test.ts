// train.ts as a user runs it: the StatQuest model and a small model trained, written,
// resumed and read back by translate.ts; bad data and flags reported in one line; the
// progress line.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedRun } from "../src/checkpoint/run_record.ts";
import { numbersData, run, runUntil, SMALL, testInTempDir, trainSmall } from "./_cli.ts";

testInTempDir(
  "train.ts --preset statquest writes a checkpoint translate.ts --model reads",
  async (dir) => {
    const out = `${dir}/statquest.safetensors`;
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
    match(bad.stderr, /^translate: Cannot load \/.*statquest\.safetensors: .*truncated.*\n$/);
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
  match(copies.stderr, /--statquest-copies needs --statquest-pairs/);
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
    // Interrupt once training is under way.
    const { code, stderr: seen } = await runUntil(
      [...args, "--out", `${dir}/cut.safetensors`],
      /step \d+\/150/,
      (child) => child.kill("SIGINT"),
    );
    equal(code, 130, seen);
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
    const { loadCheckpoint } = await import("../src/checkpoint/checkpoint.ts");
    const a = loadCheckpoint(await Deno.readFile(`${dir}/straight.safetensors`), { threads: 1 });
    const b = loadCheckpoint(await Deno.readFile(`${dir}/cut.safetensors`), { threads: 1 });
    deepEqual(b.model.core.params.values.toArray(), a.model.core.params.values.toArray());
    equal(b.optimizer?.step, 150);
  },
);

Deno.test("the progress line: bar, step, loss, rate, elapsed and time left", async () => {
  const { formatDuration, progressLine } = await import("../src/cli/progress.ts");
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
