/**
 * Learns a vocabulary shortlist for a checkpoint from the pairs it was trained on and
 * writes the checkpoint with it: per source token the target tokens it translates to
 * (IBM Model 1), plus the most frequent target tokens. Translations then compute only
 * those logits (`translate.ts --no-shortlist` computes all of them). The weights are
 * copied as they are, bit for bit.
 *
 *   deno run -A shortlist.ts --model models/default.int8.safetensors \
 *     --data ../shared/data/spa-eng/spa-eng.tsv --out models/default.int8.safetensors --force
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { readFileForCli, runCli, UsageError } from "./src/cli/run.ts";
import { numberFlag, parseFlags } from "./src/cli/flags.ts";
import { checkTrainedOn, modelBytesForCli } from "./src/cli/models.ts";
import { checkOutputPath, writeAtomic } from "./src/cli/output_files.ts";
import { loadCheckpoint, resaveModel } from "./src/checkpoint/checkpoint.ts";
import { recordedSplit } from "./src/checkpoint/run_record.ts";
import { MAX_SHORTLIST_PER_SOURCE } from "./src/model/shortlist.ts";
import { learnModelShortlist, trainingIds } from "./src/cli/shortlist_run.ts";
import { VamosError } from "./src/errors.ts";

const HELP = `Usage: deno run -A shortlist.ts --model FILE --data FILE --out FILE [options]

Learns which target tokens each source token translates to from the training pairs the
model was trained on (its recorded split of --data) and writes the model with that
vocabulary shortlist; translations then compute a few hundred logits instead of every
token's. The weights are not changed.

Options:
  --model FILE       the checkpoint ("default" and "es-en" name the shipped models)
  --data FILE        the tab-separated english<TAB>spanish pairs it was trained on
  --out FILE         the checkpoint to write
  --per-source N     most target tokens kept per source token (default 100)
  --frequent N       most frequent target tokens every sentence may use (default 300)
  --force            replace --out if it exists
  -h, --help         this help`;

async function main(args: string[]): Promise<number> {
  const { values: v } = parseFlags(args, {
    model: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    "per-source": { type: "string" },
    frequent: { type: "string" },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.model || !v.data || !v.out) throw new UsageError("--model, --data and --out are required");
  checkOutputPath(v.out, {
    flag: "--out",
    replace: v.force!,
    hint: "pass --force to replace it, or another --out",
  });
  const perSource = numberFlag(v, "per-source", {
    min: 0,
    max: MAX_SHORTLIST_PER_SOURCE,
    integer: true,
  });
  const frequent = numberFlag(v, "frequent", { min: 1, max: 65536, integer: true });
  const bytes = await modelBytesForCli(v.model);
  const { model, metadata, optimizer } = loadCheckpoint(bytes, { threads: 1 });
  try {
    if (!recordedSplit(metadata)) {
      throw new VamosError(
        `${v.model} does not record the data split it was trained on, so its training pairs are unknown`,
      );
    }
    const data = await readFileForCli(v.data, "data file");
    await checkTrainedOn(metadata, data, v.data, v.model);
    const t0 = performance.now();
    const ids = trainingIds(model, metadata, data, v.data);
    model.shortlist = learnModelShortlist(model, ids, { perSource, frequent });
    const s = model.shortlist;
    const out = resaveModel(model, metadata, optimizer);
    writeAtomic(v.out, out);
    const listed = s.counts.filter((c) => c > 0).length;
    console.error(
      `Learned from ${ids.length} training pairs in ${
        ((performance.now() - t0) / 1000).toFixed(0)
      } s: ` +
        `${s.targets.length} targets for ${listed} source tokens, ${s.frequent.length} frequent. ` +
        `Wrote ${v.out}: ${(out.length / 1e6).toFixed(2)} MB (from ${
          (bytes.length / 1e6).toFixed(2)
        } MB).`,
    );
  } finally {
    model.close();
  }
  return 0;
}

if (import.meta.main) await runCli("shortlist", main);
