/**
 * eval.ts's command line: its help and its flags, checked before any work.
 * @module
 */
import { UsageError } from "./run.ts";
import { numberFlag, parseFlags, positiveIntegerFlag, threadsFlag } from "./flags.ts";
import { MAX_BEAM } from "../model/beam.ts";
import {
  CHANNEL_WEIGHT_BOUNDS,
  DEFAULT_CHANNEL_MARGIN,
  DEFAULT_CHANNEL_WEIGHT,
} from "../model/rerank.ts";

/** eval.ts --help. */
export const EVAL_HELP = `Usage: deno run -A eval.ts --model FILE --data FILE [options]

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
  --shortlist        decode over the model's vocabulary shortlist, not the whole
                     vocabulary (faster; reranking always uses the whole vocabulary)
  --no-shortlist     decode over the whole vocabulary (the default)
  --out FILE         also write "source<TAB>translation<TAB>references" lines
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help`;

/** eval.ts's settings, checked. */
export interface EvalFlags {
  model: string;
  data: string;
  split?: "test" | "dev";
  limit?: number;
  beam?: number;
  alpha?: number;
  out?: string;
  rerank?: string;
  channelWeight?: number;
  channelMargin?: number;
  shortlist: boolean;
  threads?: number;
}

/** Reads eval.ts's flags; "help" when it was asked for. */
export function readEvalFlags(args: string[]): EvalFlags | "help" {
  const { values: v } = parseFlags(args, {
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
    shortlist: { type: "boolean", default: false },
    "no-shortlist": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (v.help) return "help";
  const limit = positiveIntegerFlag(v, "limit");
  const beam = numberFlag(v, "beam", { min: 1, max: MAX_BEAM, integer: true });
  const alpha = numberFlag(v, "alpha", { min: 0, max: 10 });
  const threads = threadsFlag(v, "eval");
  const channelWeight = numberFlag(v, "channel-weight", CHANNEL_WEIGHT_BOUNDS);
  const channelMargin = numberFlag(v, "channel-margin", { min: 0 });
  if ((channelWeight !== undefined || channelMargin !== undefined) && !v.rerank) {
    throw new UsageError("--channel-weight and --channel-margin need --rerank MODEL");
  }
  if (v.split && v.split !== "test" && v.split !== "dev") {
    throw new UsageError(`--split must be test or dev, got "${v.split}"`);
  }
  if (v.shortlist && v["no-shortlist"]) {
    throw new UsageError("--shortlist and --no-shortlist contradict each other: give one");
  }
  if (!v.model || !v.data) throw new UsageError("--model and --data are required");
  return {
    model: v.model,
    data: v.data,
    split: v.split as EvalFlags["split"],
    limit,
    beam,
    alpha,
    out: v.out,
    rerank: v.rerank,
    channelWeight,
    channelMargin,
    shortlist: v.shortlist,
    threads,
  };
}
