/**
 * Where a training run writes, and how: the output paths (checked before any work), the
 * periodic checkpoints, the `--keep` snapshots, the loss curve and the final save, which
 * lands somewhere even when the path has gone bad during training. No lost work.
 * @module
 */
import type { WeightAverage } from "../checkpoint/average.ts";
import { saveModel } from "../checkpoint/checkpoint.ts";
import { RUN_RECORD_KEY, type RunSettings } from "../checkpoint/run_record.ts";
import type { Transformer } from "../model/model.ts";
import { type CurvePoint, lossCurveSvg } from "../train/loss_curve.ts";
import type { Adam } from "../train/optimizer.ts";
import {
  checkOutputPath,
  removeStaleTemporaries,
  writeAtomic,
  writeOrRescue,
} from "./output_files.ts";
import type { TrainFlags } from "./train_flags.ts";

/** The files of a run: the checkpoint, and for a shipping run the full one beside it. */
export interface OutputPaths {
  out: string;
  /** `<out>.full.safetensors`: the last weights with Adam's moments (shipping runs). */
  full: string;
  /** Whether the final `out` leaves the optimizer out (`--ship`, `--f16`, `--average`). */
  ship: boolean;
}

/**
 * The run's output paths, checked (an existing file is only replaced with --force, or when
 * it is the run resumed); temporaries a killed run left are removed.
 */
export function outputPaths(flags: TrainFlags, run: RunSettings): OutputPaths {
  const preset = run.preset;
  const ship = flags.ship || flags.f16 || run.average > 0;
  // Resuming a shipping run from its X.full.safetensors writes X.safetensors beside it
  // again (and the full checkpoint back to X.full.safetensors).
  const resumed = ship && flags.resume ? shippedPath(flags.resume) : flags.resume;
  const out = flags.out ?? resumed ?? `${preset}.safetensors`;
  const full = out.replace(/(\.safetensors)?$/, ".full.safetensors");
  const replacing = (path: string) =>
    flags.force || [flags.resume, resumed].some((r) => r !== undefined && sameFile(path, r));
  checkOutputPath(out, {
    flag: "--out",
    replace: replacing(out),
    hint: `pass --force to replace it, --resume ${
      ship ? full : out
    } to continue it, or another --out`,
  });
  if (ship) {
    checkOutputPath(full, {
      flag: "--out",
      replace: replacing(full),
      hint: "pass --force to replace it, or another --out",
    });
  }
  for (const stale of removeStaleTemporaries([out, full, `${out}.loss.svg`])) {
    console.error(`Removed ${stale}, left by a run that was killed while writing.`);
  }
  return { out, full, ship };
}

/** What a run's checkpoint metadata records: the run once, and where it started. */
export function runMetadata(run: RunSettings, initFrom?: string): Record<string, string> {
  return {
    [RUN_RECORD_KEY]: JSON.stringify(run),
    ...(initFrom ? { init_from: initFrom } : {}),
  };
}

/** Writes a run's checkpoints; the metadata gains the steps and the seconds trained. */
export class CheckpointWriter {
  /** The newest checkpoint written by this run (or the one it resumed from). */
  lastSaved?: { path: string; step: number };
  /** The loss curve, written beside the checkpoint. */
  readonly curve: CurvePoint[] = [];
  readonly #snapshots: string[] = [];
  readonly #t0 = performance.now();

  constructor(
    readonly paths: OutputPaths,
    readonly model: Transformer,
    readonly adam: Adam,
    readonly metadata: Record<string, string>,
    readonly opts: {
      keep?: number;
      average?: number;
      /** The run continues a checkpoint (`--resume`). */
      resumed: boolean;
      f16: boolean;
      trainedSeconds: number;
      title: string;
    },
  ) {
    // A resumed run's curve goes on from the one its checkpoint recorded.
    if (opts.resumed && metadata.loss_curve) this.curve.push(...JSON.parse(metadata.loss_curve));
  }

  /** Seconds since this writer was made. */
  get seconds(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  // The steps and seconds trained so far, into the metadata every checkpoint carries.
  #stamp(): void {
    const finite = this.curve.filter((p) =>
      Number.isFinite(p.train) && (p.validation === undefined || Number.isFinite(p.validation))
    );
    if (finite.length) this.metadata.loss_curve = JSON.stringify(finite);
    this.metadata.training_seconds = String(Math.round(this.opts.trainedSeconds + this.seconds));
    this.metadata.steps = String(this.adam.step);
  }

  /**
   * The checkpoint's bytes now. A final shipping checkpoint leaves the optimizer state
   * out (`fullBytes` is the checkpoint with it, written beside).
   */
  bytes(final: boolean): Uint8Array {
    this.#stamp();
    const shipping = final && this.paths.ship;
    return saveModel(this.model, {
      optimizer: shipping ? undefined : this.adam,
      metadata: this.metadata,
      dtype: shipping && this.opts.f16 ? "F16" : "F32",
    });
  }

  /** The full checkpoint of a shipping run: 32-bit weights and Adam's moments, to resume from. */
  fullBytes(): Uint8Array {
    this.#stamp();
    return saveModel(this.model, { optimizer: this.adam, metadata: this.metadata });
  }

  /** With --keep N: the weights as <out>.step<STEP>.safetensors, the newest N kept. */
  keepSnapshot(): void {
    const keep = this.opts.keep;
    if (!keep) return;
    const path = `${
      this.paths.out.replace(/\.safetensors$/, "")
    }.step${this.adam.step}.safetensors`;
    writeAtomic(path, saveModel(this.model, { metadata: this.metadata }));
    if (this.#snapshots.at(-1) !== path) this.#snapshots.push(path);
    while (this.#snapshots.length > keep) {
      try {
        Deno.removeSync(this.#snapshots.shift()!);
      } catch {
        // already gone
      }
    }
  }

  /** The loss curve as an SVG beside the checkpoint. */
  writeCurve(): void {
    if (this.curve.length) {
      writeAtomic(`${this.paths.out}.loss.svg`, lossCurveSvg(this.curve, this.opts.title));
    }
  }

  /** A save during training (with a snapshot unless they are taken by step); throws. */
  savePeriodic(snapshot: boolean): void {
    writeAtomic(this.paths.out, this.bytes(false));
    this.lastSaved = { path: this.paths.out, step: this.adam.step };
    if (snapshot) this.keepSnapshot();
    this.writeCurve();
  }

  /**
   * The final save: the last weights (and their snapshot), or with `averaged` their mean,
   * the full checkpoint keeping the last weights to resume from. A path gone bad gets the
   * bytes written elsewhere; the problems returned say where they went.
   */
  saveFinal(
    averaged: WeightAverage | undefined,
    devScore: () => number | undefined,
  ): { bytes: { main: Uint8Array; full?: Uint8Array }; problems: string[] } {
    const problems: string[] = [];
    // The last weights: the full checkpoint, and the snapshot, before any averaging.
    this.#stamp();
    const full = this.paths.ship ? this.fullBytes() : undefined;
    try {
      this.keepSnapshot();
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (averaged?.count) {
      this.model.core.params.values.set(averaged.mean());
      Object.assign(this.metadata, averaged.metadata()); // as average.ts writes it
      const asked = this.opts.average ?? averaged.count;
      // Fewer than asked: the run was resumed inside the window, or had fewer steps than it.
      const why = this.opts.resumed
        ? "the run was resumed inside the window"
        : `the run had ${this.adam.step} steps`;
      const note = averaged.count < asked
        ? ` (${averaged.count} of the ${asked} asked for: ${why})`
        : "";
      const score = devScore();
      const bleu = score === undefined ? "" : `; dev BLEU ${score.toFixed(1)}`;
      console.error(`Averaged the weights of steps ${averaged.steps.join(", ")}${note}${bleu}.`);
    }
    const bytes = { main: this.bytes(true), full };
    const saved = writeOrRescue(this.paths.out, bytes.main);
    if (saved.problem) problems.push(`${saved.problem}; saved to ${saved.path} instead`);
    if (bytes.full) {
      const savedFull = writeOrRescue(this.paths.full, bytes.full);
      if (savedFull.problem) {
        problems.push(`${savedFull.problem}; saved to ${savedFull.path} instead`);
      }
    }
    try {
      this.writeCurve();
    } catch (e) {
      problems.push((e as Error).message);
    }
    return { bytes, problems };
  }
}

/**
 * The command that continues an interrupted run: the settings are in the checkpoint, so
 * only the data, the outputs and how it saves are given again.
 */
export function continueCommand(flags: TrainFlags, paths: OutputPaths, resumeFrom: string): string {
  const args = ["--resume", resumeFrom, ...(flags.data ? ["--data", flags.data] : [])];
  // --out only where it is not the file the resume writes anyway (outputPaths).
  if (paths.out !== (paths.ship ? shippedPath(resumeFrom) : resumeFrom)) {
    args.push("--out", paths.out);
  }
  if (flags.ship) args.push("--ship");
  if (flags.f16) args.push("--f16");
  const given: [string, number | undefined][] = [
    ["--threads", flags.threads],
    ["--eval-every", flags.evalEvery],
    ["--save-minutes", flags.saveMinutes],
    ["--keep", flags.keep],
    ["--keep-every", flags.keepEvery],
  ];
  for (const [flag, value] of given) if (value !== undefined) args.push(flag, String(value));
  const quote = (a: string) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  return `deno run -A train.ts ${args.map(quote).join(" ")}`;
}

// The shipped file beside a full checkpoint: X.full.safetensors → X.safetensors.
function shippedPath(full: string): string {
  return full.replace(/\.full\.safetensors$/, ".safetensors");
}

// True when two paths name the same existing file.
function sameFile(a: string, b: string): boolean {
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return false;
  }
}
