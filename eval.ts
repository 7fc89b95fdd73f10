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
import { recordedRun, recordedSplit } from "./src/checkpoint/run_record.ts";
import {
  numberFlag,
  openForWriting,
  parseFlags,
  positiveIntegerFlag,
  readFileForCli,
  runCli,
  threadsFlag,
  UsageError,
  writeAll,
} from "./src/cli/run.ts";
import { checkTrainedOn, modelBytesForCli } from "./src/cli/models.ts";
import { loadCheckpoint } from "./src/checkpoint/checkpoint.ts";
import { MAX_BEAM } from "./src/model/beam.ts";
import {
  CHANNEL_WEIGHT_BOUNDS,
  DEFAULT_CHANNEL_MARGIN,
  DEFAULT_CHANNEL_WEIGHT,
} from "./src/model/rerank.ts";
import {
  groupBySource,
  orientPairs,
  parseTsv,
  readUtf8Text,
  splitBySource,
} from "./src/train/data.ts";
import { corpusBleu, corpusChrf, exactMatch } from "./src/train/metrics.ts";
import { VamosError } from "./src/errors.ts";
import { plural } from "./src/cli/progress.ts";

const HELP = `Usage: deno run -A eval.ts --model FILE --data FILE [options]

Options:
  --model FILE       checkpoint to score, or "default" for the shipped model
  --data FILE        tab-separated english<TAB>spanish pairs
  --split NAME       test | dev: score the held-out part the model was trained without
  --limit N          score only the first N source sentences
  --beam N           beam search with N hypotheses; 1 is greedy decoding (default: the
                     model's, 4 for the shipped model, otherwise 1)
  --alpha X          beam search's length-penalty exponent (default: the model's, 0.6)
  --rerank FILE      rerank beam search's n-best with this model of the other direction
                     (noisy channel; "es-en" for the shipped Spanish→English model)
  --channel-weight X λ, the weight of its score (default ${DEFAULT_CHANNEL_WEIGHT})
  --channel-margin X read only candidates within X of the best (default ${DEFAULT_CHANNEL_MARGIN})
  --no-shortlist     decode over the whole vocabulary, not the model's shortlist
  --out FILE         also write "source<TAB>translation<TAB>references" lines
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help`;

async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    model: { type: "string" },
    data: { type: "string" },
    split: { type: "string" },
    limit: { type: "string" },
    beam: { type: "string" },
    alpha: { type: "string" },
    out: { type: "string" },
    rerank: { type: "string" },
    "channel-weight": { type: "string" },
    "channel-margin": { type: "string" },
    threads: { type: "string" },
    "no-shortlist": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const limit = positiveIntegerFlag(v, "limit");
  const beamFlag = numberFlag(v, "beam", { min: 1, max: MAX_BEAM, integer: true });
  const alpha = numberFlag(v, "alpha", { min: 0, max: 10 });
  const threads = threadsFlag(v, "eval");
  const weight = numberFlag(v, "channel-weight", CHANNEL_WEIGHT_BOUNDS);
  const margin = numberFlag(v, "channel-margin", { min: 0 });
  if ((weight !== undefined || margin !== undefined) && !v.rerank) {
    throw new UsageError("--channel-weight and --channel-margin need --rerank MODEL");
  }
  if (v.split && v.split !== "test" && v.split !== "dev") {
    throw new UsageError(`--split must be test or dev, got "${v.split}"`);
  }
  if (!v.model || !v.data) throw new UsageError("--model and --data are required");
  // The output file is opened before the work, so a bad path fails in a second, not after.
  const outFile = v.out ? await openForWriting(v.out) : undefined;
  try {
    const checkpoint = await modelBytesForCli(v.model);
    const { model, metadata } = loadCheckpoint(checkpoint, { threads });
    const beam = beamFlag ?? model.beam;
    const channel = v.rerank
      ? loadCheckpoint(await modelBytesForCli(v.rerank), { threads }).model
      : undefined;
    if (channel && channel.sourceLanguage === model.sourceLanguage) {
      channel.close();
      model.close();
      throw new UsageError(
        `--rerank ${v.rerank} translates from ${channel.sourceLanguage}, as ${v.model} does: ` +
          "give a model of the other direction",
      );
    }
    const rerank = channel
      ? {
        channel,
        weight: weight ?? DEFAULT_CHANNEL_WEIGHT,
        margin: margin ?? DEFAULT_CHANNEL_MARGIN,
      }
      : undefined;
    try {
      const bytes = await readFileForCli(v.data, "data file");
      // The file's columns are English, Spanish; an es-en model reads them the other way.
      const direction = recordedRun(metadata).direction ?? "en-es";
      let pairs = orientPairs(parseTsv(readUtf8Text(bytes, v.data), v.data), direction);
      let what = `every pair of ${v.data}`;
      if (v.split) {
        const s = recordedSplit(metadata);
        if (!s) {
          throw new VamosError(
            `${v.model} does not record its data split; drop --split to score the whole file`,
          );
        }
        await checkTrainedOn(metadata, bytes, v.data, v.model);
        if (s[v.split as "dev" | "test"] === 0) {
          throw new VamosError(
            `${v.model} was trained with --${v.split} 0, so it has no ${v.split} split; ` +
              `use --split ${v.split === "test" ? "dev" : "test"}, or drop --split to score a file`,
          );
        }
        pairs = splitBySource(pairs, s)[v.split as "test" | "dev"];
        what = `the ${v.split} split`;
      }
      let groups = groupBySource(pairs);
      if (limit !== undefined) groups = groups.slice(0, limit);
      const t0 = performance.now();
      const hyps: string[] = [];
      const used: typeof groups = [];
      let failed = 0;
      for (let i = 0; i < groups.length; i += 256) {
        const window = groups.slice(i, i + 256);
        model.translateEach(window.map((g) => g.source), {
          beam: beamFlag,
          alpha,
          rerank,
          shortlist: !v["no-shortlist"],
        }).forEach(
          (r, k) => {
            if (r.error) failed++;
            else {
              hyps.push(r.translation);
              used.push(window[k]);
            }
          },
        );
      }
      if (used.length === 0) {
        throw new VamosError(
          `Nothing to score: ${what} ${
            groups.length ? "has no sentence the model can translate" : "is empty"
          }` + (limit !== undefined ? ` (--limit ${limit})` : ""),
        );
      }
      const seconds = (performance.now() - t0) / 1000;
      const refs = used.map((g) => g.references);
      const bleu = corpusBleu(hyps, refs);
      console.log(
        `${beam > 1 ? `beam ${beam}, α ${alpha ?? model.alpha}` : "greedy"}${
          rerank && beam > 1
            ? `, reranked (noisy channel ${v.rerank}, λ ${rerank.weight}, margin ${rerank.margin})`
            : ""
        }: ${plural(used.length, "sentence")}${
          failed ? ` (${failed} the model cannot translate, skipped)` : ""
        }, ${plural(refs.reduce((n, r) => n + r.length, 0), "reference")}, translated in ${
          seconds.toFixed(1)
        } s`,
      );
      console.log(
        `BLEU ${bleu.score.toFixed(1)} (${bleu.precisions.map((p) => p.toFixed(1)).join("/")}, ` +
          `BP ${bleu.bp.toFixed(3)}, hyp_len ${bleu.sysLen}, ref_len ${bleu.refLen})`,
      );
      console.log(`chrF ${corpusChrf(hyps, refs).toFixed(1)}`);
      console.log(`exact match ${(100 * exactMatch(hyps, refs)).toFixed(1)}%`);
      if (outFile) {
        const lines = used.map((g, i) => `${g.source}\t${hyps[i]}\t${g.references.join(" | ")}\n`);
        await writeAll(outFile, new TextEncoder().encode(lines.join("")));
      }
    } finally {
      model.close();
      channel?.close();
    }
  } finally {
    outFile?.close();
  }
  return 0;
}

if (import.meta.main) await runCli("eval", main);
