/**
 * Scores a model on held-out sentence pairs: corpus BLEU as sacreBLEU computes its
 * default (13a tokenization, every reference of a sentence, corpus brevity penalty),
 * chrF, and the exact-match rate.
 *
 *   deno run -A eval.ts --model models/default.safetensors --data pairs.tsv --split test
 *
 * With --split, the split is re-derived from the data with the seed and fractions the
 * checkpoint was trained with; without it, every pair of --data is scored.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { openForWriting, runCli, writeAll } from "./src/cli/run.ts";
import { EVAL_HELP, readEvalFlags } from "./src/cli/eval_flags.ts";
import { evalGroups, openEvalModels, printScores, translateGroups } from "./src/cli/eval_run.ts";

async function main(args: string[]): Promise<number> {
  const flags = readEvalFlags(args);
  if (flags === "help") {
    console.log(EVAL_HELP);
    return 0;
  }
  // The output file is opened before the work, so a bad path fails in a second, not after.
  const outFile = flags.out ? await openForWriting(flags.out) : undefined;
  try {
    const models = await openEvalModels(flags);
    try {
      const { groups, what } = await evalGroups(flags, models.metadata);
      const result = translateGroups(flags, models, groups, what);
      printScores(flags, models, result);
      if (outFile) {
        const lines = result.used.map((g, i) =>
          `${g.source}\t${result.hyps[i]}\t${g.references.join(" | ")}\n`
        );
        await writeAll(outFile, new TextEncoder().encode(lines.join("")));
      }
    } finally {
      models.close();
    }
  } finally {
    outFile?.close();
  }
  return 0;
}

if (import.meta.main) await runCli("eval", main);
