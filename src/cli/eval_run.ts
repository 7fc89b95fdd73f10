/**
 * eval.ts's steps: the model and its reranking channel, the pairs to score (a recorded
 * split or a whole file), their translations, and the scores printed.
 * @module
 */
import { recordedRun, recordedSplit } from "../checkpoint/run_record.ts";
import { readFileForCli, UsageError } from "./run.ts";
import { checkTrainedOn, modelBytesForCli } from "./models.ts";
import { loadCheckpoint } from "../checkpoint/checkpoint.ts";
import {
  DEFAULT_CHANNEL_MARGIN,
  DEFAULT_CHANNEL_WEIGHT,
  type RerankOptions,
} from "../model/rerank.ts";
import {
  groupBySource,
  orientPairs,
  parseTsv,
  readUtf8Text,
  splitBySource,
} from "../train/data.ts";
import { corpusBleu, corpusChrf, exactMatch } from "../train/metrics.ts";
import { VamosError } from "../errors.ts";
import { plural } from "./progress.ts";
import type { Transformer } from "../model/model.ts";
import type { EvalFlags } from "./eval_flags.ts";

type CheckpointMetadata = Record<string, string>;
/** A source sentence and every reference translation of it. */
type SourceGroup = ReturnType<typeof groupBySource>[number];

/** The model scored, its checkpoint's metadata and the reranking the flags ask for. */
export interface EvalModels {
  model: Transformer;
  metadata: CheckpointMetadata;
  rerank?: RerankOptions;
  close(): void;
}

/** Opens --model and, with --rerank, its channel (a model of the other direction). */
export async function openEvalModels(f: EvalFlags): Promise<EvalModels> {
  const { model, metadata } = loadCheckpoint(await modelBytesForCli(f.model), {
    threads: f.threads,
  });
  const channel = f.rerank
    ? loadCheckpoint(await modelBytesForCli(f.rerank), { threads: f.threads }).model
    : undefined;
  const close = () => {
    model.close();
    channel?.close();
  };
  if (channel && channel.sourceLanguage === model.sourceLanguage) {
    close();
    throw new UsageError(
      `--rerank ${f.rerank} translates from ${channel.sourceLanguage}, as ${f.model} does: ` +
        "give a model of the other direction",
    );
  }
  const rerank = channel
    ? {
      channel,
      weight: f.channelWeight ?? DEFAULT_CHANNEL_WEIGHT,
      margin: f.channelMargin ?? DEFAULT_CHANNEL_MARGIN,
    }
    : undefined;
  return { model, metadata, rerank, close };
}

/** The source sentences to score with their references, and how to name them. */
export async function evalGroups(
  f: EvalFlags,
  metadata: CheckpointMetadata,
): Promise<{ groups: SourceGroup[]; what: string }> {
  const bytes = await readFileForCli(f.data, "data file");
  // The file's columns are English, Spanish; an es-en model reads them the other way.
  const direction = recordedRun(metadata).direction ?? "en-es";
  let pairs = orientPairs(parseTsv(readUtf8Text(bytes, f.data), f.data), direction);
  let what = `every pair of ${f.data}`;
  if (f.split) {
    const s = recordedSplit(metadata);
    if (!s) {
      throw new VamosError(
        `${f.model} does not record its data split; drop --split to score the whole file`,
      );
    }
    await checkTrainedOn(metadata, bytes, f.data, f.model);
    if (s[f.split] === 0) {
      throw new VamosError(
        `${f.model} was trained with --${f.split} 0, so it has no ${f.split} split; ` +
          `use --split ${f.split === "test" ? "dev" : "test"}, or drop --split to score a file`,
      );
    }
    pairs = splitBySource(pairs, s)[f.split];
    what = `the ${f.split} split`;
  }
  let groups = groupBySource(pairs);
  if (f.limit !== undefined) groups = groups.slice(0, f.limit);
  return { groups, what };
}

/** The translations of the groups the model can translate, in windows of 256. */
export function translateGroups(
  f: EvalFlags,
  m: EvalModels,
  groups: SourceGroup[],
  what: string,
): { hyps: string[]; used: SourceGroup[]; failed: number; seconds: number } {
  const t0 = performance.now();
  const hyps: string[] = [];
  const used: SourceGroup[] = [];
  let failed = 0;
  for (let i = 0; i < groups.length; i += 256) {
    const window = groups.slice(i, i + 256);
    const results = m.model.translateEach(window.map((g) => g.source), {
      beam: f.beam,
      alpha: f.alpha,
      rerank: m.rerank,
      shortlist: f.shortlist,
    });
    results.forEach((r, k) => {
      if (r.error) failed++;
      else {
        hyps.push(r.translation);
        used.push(window[k]);
      }
    });
  }
  if (used.length === 0) {
    throw new VamosError(
      `Nothing to score: ${what} ${
        groups.length ? "has no sentence the model can translate" : "is empty"
      }` + (f.limit !== undefined ? ` (--limit ${f.limit})` : ""),
    );
  }
  return { hyps, used, failed, seconds: (performance.now() - t0) / 1000 };
}

/** Prints the settings, BLEU, chrF and the exact-match rate of the translations. */
export function printScores(
  f: EvalFlags,
  m: EvalModels,
  r: ReturnType<typeof translateGroups>,
): void {
  const beam = f.beam ?? m.model.beam, rerank = m.rerank;
  const refs = r.used.map((g) => g.references);
  const bleu = corpusBleu(r.hyps, refs);
  console.log(
    `${beam > 1 ? `beam ${beam}, α ${f.alpha ?? m.model.alpha}` : "greedy"}${
      rerank && beam > 1
        ? `, reranked (noisy channel ${f.rerank}, λ ${rerank.weight}, margin ${rerank.margin})`
        : ""
    }: ${plural(r.used.length, "sentence")}${
      r.failed ? ` (${r.failed} the model cannot translate, skipped)` : ""
    }, ${plural(refs.reduce((n, x) => n + x.length, 0), "reference")}, translated in ${
      r.seconds.toFixed(1)
    } s`,
  );
  console.log(
    `BLEU ${bleu.score.toFixed(1)} (${bleu.precisions.map((p) => p.toFixed(1)).join("/")}, ` +
      `BP ${bleu.bp.toFixed(3)}, hyp_len ${bleu.sysLen}, ref_len ${bleu.refLen})`,
  );
  console.log(`chrF ${corpusChrf(r.hyps, refs).toFixed(1)}`);
  console.log(`exact match ${(100 * exactMatch(r.hyps, refs)).toFixed(1)}%`);
}
