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
import { parseArgs } from "node:util";
import {
  parseFlags,
  positiveIntegerFlag,
  readFileForCli,
  runCli,
  UsageError,
} from "./src/cli/run.ts";
import { loadCheckpoint } from "./src/checkpoint/checkpoint.ts";
import { defaultModelBytes } from "./models/default.ts";
import { groupBySource, parseTsv, sha256Hex, splitBySource } from "./src/train/data.ts";
import { corpusBleu, corpusChrf, exactMatch } from "./src/train/metrics.ts";
import { VamosError } from "./src/errors.ts";

const HELP = `Usage: deno run -A eval.ts --model FILE --data FILE [options]

Options:
  --model FILE       checkpoint to score, or "default" for the shipped model
  --data FILE        tab-separated english<TAB>spanish pairs
  --split NAME       test | dev: score the held-out part the model was trained without
  --limit N          score only the first N source sentences
  --out FILE         also write "source<TAB>translation<TAB>references" lines
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help`;

async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(() =>
    parseArgs({
      args,
      options: {
        model: { type: "string" },
        data: { type: "string" },
        split: { type: "string" },
        limit: { type: "string" },
        out: { type: "string" },
        threads: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    })
  );
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.model || !v.data) throw new UsageError("--model and --data are required");
  if (v.split && v.split !== "test" && v.split !== "dev") {
    throw new UsageError(`--split must be test or dev, got "${v.split}"`);
  }
  const threads = positiveIntegerFlag(v, "threads");
  const checkpoint = v.model === "default"
    ? await defaultModelBytes()
    : await readFileForCli(v.model, "model file");
  const { model, metadata } = loadCheckpoint(checkpoint, { threads });
  const bytes = await readFileForCli(v.data, "data file");
  let pairs = parseTsv(new TextDecoder().decode(bytes), v.data);
  if (v.split) {
    if (!metadata.split) {
      throw new VamosError(`${v.model} does not record its data split; score a file instead`);
    }
    const sha = await sha256Hex(bytes);
    if (metadata.data_sha256 && metadata.data_sha256 !== sha) {
      throw new VamosError(`${v.data} is not the file ${v.model} was trained on (sha256 ${sha})`);
    }
    const s = JSON.parse(metadata.split);
    pairs = splitBySource(pairs, s)[v.split as "test" | "dev"];
  }
  let groups = groupBySource(pairs);
  if (v.limit) groups = groups.slice(0, Number(v.limit));
  const usable = groups.filter((g) => {
    try {
      model.encodeSource(g.source);
      return true;
    } catch {
      return false;
    }
  });
  const t0 = performance.now();
  const hyps: string[] = [];
  for (let i = 0; i < usable.length; i += 64) {
    hyps.push(...model.translate(usable.slice(i, i + 64).map((g) => g.source)));
  }
  const seconds = (performance.now() - t0) / 1000;
  const refs = usable.map((g) => g.references);
  const bleu = corpusBleu(hyps, refs);
  console.log(
    `${usable.length} sentences (${groups.length - usable.length} too long, skipped), ` +
      `${pairs.length} references, translated in ${seconds.toFixed(1)} s`,
  );
  console.log(
    `BLEU ${bleu.score.toFixed(1)} (${bleu.precisions.map((p) => p.toFixed(1)).join("/")}, ` +
      `BP ${bleu.bp.toFixed(3)}, hyp_len ${bleu.sysLen}, ref_len ${bleu.refLen})`,
  );
  console.log(`chrF ${corpusChrf(hyps, refs).toFixed(1)}`);
  console.log(`exact match ${(100 * exactMatch(hyps, refs)).toFixed(1)}%`);
  if (v.out) {
    await Deno.writeTextFile(
      v.out,
      usable.map((g, i) => `${g.source}\t${hyps[i]}\t${g.references.join(" | ")}`).join("\n") +
        "\n",
    );
  }
  model.close();
  return 0;
}

if (import.meta.main) await runCli("eval", main);
