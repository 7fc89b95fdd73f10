// The command-line tools at the edges: outputs checked before work, nothing replaced
// or lost, --resume that continues the same run, eval.ts selections, and flags that
// are validated the same way by every tool, each problem in one line.
import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { loadCheckpoint } from "../src/checkpoint/checkpoint.ts";
import { recordedRun, recordedSplit } from "../src/checkpoint/run_record.ts";
import { CORPUS, numbersData, run, runUntil, SMALL, testInTempDir, trainSmall } from "./_cli.ts";

const lines = (s: string) => s.split("\n").filter(Boolean);

testInTempDir(
  "train.ts checks --out before training and never replaces a checkpoint unasked",
  async (dir) => {
    const statquest = ["run", "-A", "train.ts", "--preset", "statquest"];
    const missing = await run([...statquest, "--out", `${dir}/no/such/dir/x.safetensors`]);
    equal(missing.code, 2);
    equal(lines(missing.stderr).length, 1);
    match(missing.stderr, /the folder .*no\/such\/dir does not exist/);
    const folder = await run([...statquest, "--out", dir]);
    equal(folder.code, 2);
    match(folder.stderr, /is a folder; name a file/);
    deepEqual([...Deno.readDirSync(dir)], []); // no temporary file left behind
    const out = `${dir}/statquest.safetensors`;
    equal((await run([...statquest, "--out", out])).code, 0);
    const before = await Deno.readFile(out);
    const again = await run([...statquest, "--out", out, "--seed", "5"]);
    equal(again.code, 2);
    match(
      again.stderr,
      /statquest.safetensors already exists; pass --force to replace it, --resume/,
    );
    deepEqual(await Deno.readFile(out), before);
    const forced = await run([...statquest, "--out", out, "--seed", "5", "--force"]);
    equal(forced.code, 0, forced.stderr);
    notEqual((await Deno.readFile(out)).join(), before.join());
  },
);

testInTempDir("train.ts removes temporary files of a killed run", async (dir) => {
  const out = `${dir}/statquest.safetensors`;
  // A process that is surely gone: this test's own child, after it exited.
  const child = new Deno.Command("true").spawn();
  const { pid } = child;
  await child.status;
  await Deno.writeFile(`${out}.tmp-${pid}`, new Uint8Array(1000));
  await Deno.writeFile(`${out}.loss.svg.tmp-${pid}`, new Uint8Array(10));
  const r = await run(["run", "-A", "train.ts", "--preset", "statquest", "--out", out]);
  equal(r.code, 0, r.stderr);
  match(
    r.stderr,
    new RegExp(`Removed .*statquest.safetensors.tmp-${pid}, left by a run that was killed`),
  );
  deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "statquest.safetensors",
    "statquest.safetensors.loss.svg",
  ]);
});

testInTempDir(
  "train.ts: a final save that fails still saves the weights, and says where",
  async (dir) => {
    const data = await numbersData(dir);
    const sub = `${dir}/out`;
    await Deno.mkdir(sub);
    const { code, stderr: seen } = await runUntil(
      [
        "run",
        "-A",
        "train.ts",
        "--data",
        data,
        ...SMALL,
        "--max-steps",
        "40",
        "--epochs",
        "100",
        "--out",
        `${sub}/m.safetensors`,
      ],
      /step \d+\/40/,
      // The output folder disappears mid-run.
      () => Deno.remove(sub, { recursive: true }),
    );
    equal(code, 1, seen);
    const rescued = /saved to (\S+) instead/.exec(seen)?.[1];
    if (!rescued) throw new Error(`no rescue path in: ${seen}`);
    try {
      const c = loadCheckpoint(await Deno.readFile(rescued), { threads: 1 });
      equal(c.optimizer?.step, 40);
      c.model.close();
    } finally {
      await Deno.remove(rescued);
    }
  },
);

testInTempDir(
  "train.ts --resume takes its settings from the checkpoint and refuses others",
  async (dir) => {
    const data = await numbersData(dir);
    const out = `${dir}/m.safetensors`;
    const base = ["run", "-A", "train.ts", "--data", data, ...SMALL, "--seed", "3"];
    const first = await run([...base, "--max-steps", "4", "--out", out]);
    equal(first.code, 0, first.stderr);
    const toyOnBpe = await run(["run", "-A", "train.ts", "--preset", "statquest", "--resume", out]);
    equal(toyOnBpe.code, 2);
    equal(lines(toyOnBpe.stderr).length, 1);
    match(toyOnBpe.stderr, /--preset statquest \(the checkpoint has small\)/);
    const other = `${dir}/other.tsv`;
    await Deno.writeTextFile(other, CORPUS.replaceAll("uno", "un"));
    const conflict = await run([
      "run",
      "-A",
      "train.ts",
      "--data",
      other,
      "--seed",
      "99",
      "--dev",
      "0.1",
      "--resume",
      out,
    ]);
    equal(conflict.code, 2);
    match(
      conflict.stderr,
      /--dev 0.1 \(the checkpoint has 0.02\); --seed 99 \(the checkpoint has 3\)/,
    );
    const otherData = await run(["run", "-A", "train.ts", "--data", other, "--resume", out]);
    equal(otherData.code, 1);
    match(otherData.stderr, /is not the data .*m.safetensors was trained on/);
    // No flags but the data: the run continues with its own settings, in place.
    const before = loadCheckpoint(await Deno.readFile(out), { threads: 1 });
    const resumed = await run([
      "run",
      "-A",
      "train.ts",
      "--data",
      data,
      "--resume",
      out,
      "--max-steps",
      "6",
      "--threads",
      "1",
    ]);
    equal(resumed.code, 0, resumed.stderr);
    const after = loadCheckpoint(await Deno.readFile(out), { threads: 1 });
    equal(after.optimizer?.step, 6);
    deepEqual(recordedSplit(after.metadata), recordedSplit(before.metadata));
    deepEqual(recordedRun(after.metadata).seed, 3);
    deepEqual(recordedRun(after.metadata).data_sha256, recordedRun(before.metadata).data_sha256);
    // The run is recorded once: not also under keys of its own.
    deepEqual(["split", "seed", "preset"].filter((k) => k in after.metadata), []);
    before.model.close();
    after.model.close();
  },
);

testInTempDir("train.ts: messages that say what really happened", async (dir) => {
  const data = await numbersData(dir);
  const diverged = await run([
    "run",
    "-A",
    "train.ts",
    "--preset",
    "statquest",
    "--lr",
    "1e30",
    "--out",
    `${dir}/d.safetensors`,
  ]);
  equal(diverged.code, 1);
  match(diverged.stderr, /No checkpoint was written\.\n$/);
  equal([...Deno.readDirSync(dir)].length, 1);
  const all = await run(["run", "-A", "train.ts", "--data", data, "--dev", "1"]);
  equal(all.code, 2);
  match(all.stderr, /--dev must be a number from 0 to 1 \(1 excluded\), got "1"/);
  const most = await run([
    "run",
    "-A",
    "train.ts",
    "--data",
    data,
    "--dev",
    "0.6",
    "--test",
    "0.5",
  ]);
  equal(most.code, 2);
  match(most.stderr, /leave no sentence pairs for training/);
  const binary = `${dir}/data.bin`;
  await Deno.writeFile(binary, new Uint8Array([0x47, 0x6f, 0, 0xff, 9, 0x80, 10]));
  const bin = await run([
    "run",
    "-A",
    "train.ts",
    "--data",
    binary,
    "--out",
    `${dir}/b.safetensors`,
  ]);
  equal(bin.code, 1);
  equal(bin.stderr, `train: ${binary} is not a text file (byte 2 is 0); give a UTF-8 TSV file\n`);
  for (const tool of ["train.ts", "translate.ts", "eval.ts"]) {
    const r = await run(["run", "-A", tool, "--threads", "-2"]);
    equal(r.code, 2, tool);
    equal(
      r.stderr,
      `${tool.replace(".ts", "")}: --threads must be an integer from 1 to 1024, got "-2"\n`,
    );
  }
  const many = await run([
    "run",
    "translate.ts",
    "--model",
    "statquest",
    "--threads",
    "1000",
    "to go",
  ]);
  equal(many.code, 0);
  equal(many.stdout, "ir\n");
  match(many.stderr, /--threads 1000 is more than the \d+ cores here; using \d+\.\n$/);
  const shape = await run([
    "run",
    "-A",
    "train.ts",
    "--data",
    data,
    "--d-model",
    "30",
    "--heads",
    "4",
  ]);
  equal(shape.code, 2);
  match(shape.stderr, /dModel 30 is not a multiple of heads 4/);
});

testInTempDir(
  "eval.ts: empty selections refused, flags checked, references counted",
  async (dir) => {
    const data = await numbersData(dir);
    const noTest = `${dir}/notest.safetensors`;
    const t = await trainSmall(data, ["--max-steps", "2", "--test", "0", "--out", noTest]);
    equal(t.code, 0, t.stderr);
    // The README's flow: train with the default split, then score its test split.
    const byDefault = `${dir}/default.safetensors`;
    const d = await trainSmall(data, ["--max-steps", "2", "--out", byDefault]);
    equal(d.code, 0, d.stderr);
    const flow = await run([
      "run",
      "-A",
      "eval.ts",
      "--model",
      byDefault,
      "--data",
      data,
      "--split",
      "test",
    ]);
    equal(flow.code, 0, flow.stderr);
    match(flow.stdout, /^greedy: 2 sentences, 2 references,/); // 2% of 100 source sentences
    const e = await run([
      "run",
      "-A",
      "eval.ts",
      "--model",
      noTest,
      "--data",
      data,
      "--split",
      "test",
    ]);
    equal(e.code, 1);
    equal(e.stdout, "");
    match(e.stderr, /trained with --test 0, so it has no test split; use --split dev/);
    for (const bad of ["abc", "-5", "0", "2.5"]) {
      const r = await run([
        "run",
        "-A",
        "eval.ts",
        "--model",
        noTest,
        "--data",
        data,
        "--limit",
        bad,
      ]);
      equal(r.code, 2, bad);
      match(r.stderr, /--limit must be a positive integer/);
    }
    // Two references for each of the first sentences: --limit counts sentences, and the
    // report counts the references really used.
    await Deno.writeTextFile(`${dir}/two.tsv`, CORPUS + CORPUS.replaceAll("uno", "un"));
    const five = await run([
      "run",
      "-A",
      "eval.ts",
      "--model",
      noTest,
      "--data",
      `${dir}/two.tsv`,
      "--limit",
      "5",
    ]);
    equal(five.code, 0, five.stderr);
    match(five.stdout, /^greedy: 5 sentences, 10 references,/);
    const out = await run([
      "run",
      "-A",
      "eval.ts",
      "--model",
      noTest,
      "--data",
      data,
      "--out",
      `${dir}/none/x.tsv`,
    ]);
    equal(out.code, 1);
    equal(out.stdout, ""); // refused before scoring
    equal(out.stderr, `eval: Cannot write ${dir}/none/x.tsv: its folder does not exist\n`);
  },
);

// The weight snapshots train.ts --keep left in dir for --out m.safetensors, sorted.
function snapshotNames(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    /^m\.step\d+\.safetensors$/.test(n)
  ).sort();
}

testInTempDir(
  "train.ts --keep N keeps the weights of the last N saves, to average",
  async (dir) => {
    const data = await numbersData(dir);
    const out = `${dir}/m.safetensors`;
    const t = await trainSmall(data, [
      "--max-steps",
      "12",
      "--save-minutes",
      "0.0001",
      "--keep",
      "3",
      "--out",
      out,
    ]);
    equal(t.code, 0, t.stderr);
    const steps = snapshotNames(dir);
    equal(steps.length, 3, steps.join());
    ok(steps.includes("m.step12.safetensors"), steps.join());
    const avg = await run([
      "run",
      "-A",
      "average.ts",
      "--out",
      `${dir}/avg.safetensors`,
      ...steps.map((n) => `${dir}/${n}`),
    ]);
    equal(avg.code, 0, avg.stderr);
    const c = loadCheckpoint(await Deno.readFile(`${dir}/avg.safetensors`), { threads: 1 });
    equal(c.metadata.averaged, "3");
    c.model.close();
  },
);

testInTempDir(
  "train.ts --average N writes the mean of the last N weights --average-every steps apart",
  async (dir) => {
    const data = await numbersData(dir);
    const out = `${dir}/m.safetensors`;
    const t = await trainSmall(data, [
      "--max-steps",
      "15",
      "--keep",
      "4",
      "--keep-every",
      "2",
      "--average",
      "3",
      "--average-every",
      "2",
      "--out",
      out,
    ]);
    equal(t.code, 0, t.stderr);
    // Multiples of 2 among the last 3·2 steps; the last step, 15, is not one.
    match(t.stderr, /Averaged the weights of steps 10, 12, 14; dev BLEU \d/);
    // Snapshots of the weights (not the mean) every 2 steps, and the last ones.
    const steps = snapshotNames(dir);
    deepEqual(steps, [
      "m.step10.safetensors",
      "m.step12.safetensors",
      "m.step14.safetensors",
      "m.step15.safetensors",
    ]);
    const read = async (name: string) =>
      loadCheckpoint(await Deno.readFile(`${dir}/${name}`), { threads: 1 });
    const values = (c: Awaited<ReturnType<typeof read>>) => c.model.core.params.values.toArray();
    const shipped = await read("m.safetensors");
    const full = await read("m.full.safetensors");
    const last = await read("m.step15.safetensors");
    equal(shipped.metadata.averaged, "3");
    equal(shipped.metadata.averaged_steps, "[10,12,14]");
    equal(shipped.optimizer, undefined);
    ok(full.optimizer, "the full checkpoint keeps Adam's moments, to resume from");
    deepEqual(values(full), values(last));
    notEqual(values(shipped).join(), values(last).join());
    // The mean is average.ts's mean of those snapshots, bit for bit.
    const avg = await run([
      "run",
      "-A",
      "average.ts",
      "--out",
      `${dir}/avg.safetensors`,
      ...steps.slice(0, 3).map((n) => `${dir}/${n}`),
    ]);
    equal(avg.code, 0, avg.stderr);
    const c = await read("avg.safetensors");
    deepEqual(values(c), values(shipped));
    for (const m of [shipped, full, last, c]) m.model.close();
    // A run shorter than the window averages what it has, and says why it is fewer.
    const short = await trainSmall(data, [
      "--max-steps",
      "5",
      "--average",
      "4",
      "--average-every",
      "2",
      "--out",
      `${dir}/short.safetensors`,
    ]);
    equal(short.code, 0, short.stderr);
    match(short.stderr, /steps 2, 4 \(2 of the 4 asked for: the run had 5 steps\)/);
    const bad = await trainSmall(data, ["--average-every", "2", "--out", `${dir}/x.safetensors`]);
    equal(bad.code, 2);
    match(bad.stderr, /--average-every needs --average N/);
    const bad2 = await trainSmall(data, ["--keep-every", "2", "--out", `${dir}/x.safetensors`]);
    equal(bad2.code, 2);
    match(bad2.stderr, /--keep-every needs --keep N/);
  },
);

testInTempDir(
  "train.ts --resume X.full.safetensors of a shipping run writes X.safetensors again",
  async (dir) => {
    const data = await numbersData(dir);
    const first = await trainSmall(data, [
      "--max-steps",
      "3",
      "--ship",
      "--out",
      `${dir}/m.safetensors`,
    ]);
    equal(first.code, 0, first.stderr);
    const again = await run([
      "run",
      "-A",
      "train.ts",
      "--data",
      data,
      "--resume",
      `${dir}/m.full.safetensors`,
      "--max-steps",
      "6",
      "--ship",
    ]);
    equal(again.code, 0, again.stderr);
    match(again.stderr, new RegExp(`Wrote ${dir}/m\\.safetensors`));
    const read = async (name: string) =>
      loadCheckpoint(await Deno.readFile(`${dir}/${name}`), { threads: 1 });
    const shipped = await read("m.safetensors"), full = await read("m.full.safetensors");
    equal(shipped.metadata.steps, "6");
    equal(full.optimizer?.step, 6);
    deepEqual(shipped.model.core.params.values.toArray(), full.model.core.params.values.toArray());
    shipped.model.close();
    full.model.close();
  },
);
