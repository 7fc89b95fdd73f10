// deno task bench:trees — decoding speed of two checkouts of this project, run in turns, so
// that a change is measured against the code before it on the same host in the same minutes
// (this host's rows move ±25% between minutes; only pairs of one run compare). Each round
// runs each tree once in a fresh process: the test sentences through its public API
// (loadDefaultModel, translate), greedy and beam 4, one at a time and in batches of 64, on 1
// and 2 threads, best of 2 passes, each tree decoding as it ships (over its default
// vocabulary). Prints each round, then the medians and after / before.
//
//   deno task bench:trees --before ../before --after . [--rounds 3] [--sentences 384]
//                         [--data ../shared/data/spa-eng/spa-eng.tsv]
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { seconds, testSentences } from "./decoding.ts";
import { machine } from "./_timing.ts";

const CASES = [1, 2].flatMap((threads) =>
  [1, 4].flatMap((beam) => [1, 64].map((batch) => ({ threads, beam, batch })))
);
const label = (c: { threads: number; beam: number; batch: number }) =>
  `${c.threads} thread${c.threads > 1 ? "s" : ""}, ${c.beam === 1 ? "greedy" : `beam ${c.beam}`}, ${
    c.batch === 1 ? "one at a time" : `batches of ${c.batch}`
  }`;

// In the child: sentences/s of every case for the tree at `root`, as JSON on stdout.
async function measure(root: string, sentences: string[]): Promise<number[]> {
  const url = pathToFileURL(resolve(root, "models/default.ts")).href;
  const { loadDefaultModel } = await import(url);
  const rates: number[] = [];
  for (const threads of [1, 2]) {
    const model = await loadDefaultModel({ threads });
    await model.core.rt.ready();
    try {
      for (const c of CASES.filter((c) => c.threads === threads)) {
        const pass = () => seconds(model, sentences, c.beam, c.batch);
        pass(); // warm up
        rates.push(sentences.length / Math.min(pass(), pass()));
      }
    } finally {
      model.close();
    }
  }
  return rates;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (import.meta.main) {
  const { values: v } = parseArgs({
    options: {
      before: { type: "string" },
      after: { type: "string", default: "." },
      tree: { type: "string" },
      rounds: { type: "string", default: "3" },
      sentences: { type: "string", default: "384" },
      data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" },
    },
  });
  const n = Number(v.sentences), rounds = Number(v.rounds);
  if (!Number.isInteger(n) || n < 1) throw new Error("--sentences must be a positive integer");
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error("--rounds must be a positive integer");
  }
  if (v.tree) {
    console.log(JSON.stringify(await measure(v.tree, await testSentences(n, v.data))));
  } else {
    if (!v.before) throw new Error("--before must name a checkout to compare against");
    console.log(machine());
    const trees = { before: v.before, after: v.after };
    const runs: Record<string, number[][]> = { before: [], after: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [name, root] of Object.entries(trees)) {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            new URL(import.meta.url).pathname,
            "--tree",
            root,
            "--sentences",
            `${n}`,
            "--data",
            v.data,
          ],
          stderr: "inherit",
        }).output();
        if (!out.success) throw new Error(`the run of ${root} failed`);
        const rates: number[] = JSON.parse(
          new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
        );
        runs[name].push(rates);
        console.log(`round ${r + 1}, ${name}: ${rates.map((x) => x.toFixed(0)).join(" / ")}`);
      }
    }
    console.log(`\n${n} test sentences, sentences/s, median of ${rounds} rounds (range)\n`);
    console.log("| | before | after | after / before |\n|---|---:|---:|---:|");
    CASES.forEach((c, i) => {
      const b = runs.before.map((x) => x[i]), a = runs.after.map((x) => x[i]);
      const cell = (xs: number[]) =>
        `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
      console.log(
        `| ${label(c)} | ${cell(b)} | ${cell(a)} | ${(median(a) / median(b)).toFixed(2)}× |`,
      );
    });
  }
}
