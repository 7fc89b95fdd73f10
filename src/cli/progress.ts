/**
 * The progress line of a long run: a bar, the epoch and step, the loss, the rate and the
 * time left, redrawn in place on a terminal (at most twice a second) and printed as plain
 * lines elsewhere; lines that should stay (evaluations, notices) are kept.
 * @module
 */
import type { StepInfo } from "../train/train.ts";

/** Seconds as "1h05m", "3m07s" or "42s" ("?" when not known). */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.round(s % 60);
  return h
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m
    ? `${m}m${String(r).padStart(2, "0")}s`
    : `${r}s`;
}

/** The progress line of one step: `[####....] epoch 1 step 20/750 loss 2.3 …`. */
export function progressLine(s: StepInfo, firstStep: number): string {
  const left = (s.totalSteps - s.step) * (s.elapsed / (s.step - firstStep));
  const bar = "#".repeat(Math.round((20 * s.step) / s.totalSteps)).padEnd(20, ".");
  return `[${bar}] epoch ${s.epoch + 1} step ${s.step}/${s.totalSteps} loss ${s.loss.toFixed(3)} ${
    Math.round(s.tokensPerSecond)
  } tok/s, ${formatDuration(s.elapsed)} elapsed, ${formatDuration(left)} left`;
}

/** Where progress goes: stderr, redrawn in place when it is a terminal. */
export class Progress {
  readonly #interactive = Deno.stderr.isTerminal();
  #lastDrawn = 0;
  #firstStep = -1;

  /** Prints a line; `keep` leaves it on screen under the progress line. */
  print(line: string, keep = false): void {
    if (this.#interactive) {
      Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K${keep ? "\n" : ""}`));
    } else console.error(line);
  }

  /** Ends the redrawn line on a terminal, so what follows starts on a line of its own. */
  endLine(): void {
    if (this.#interactive) console.error();
  }

  /** Shows a step's progress (the last step always, others at most twice a second). */
  step(s: StepInfo): void {
    if (this.#firstStep < 0) this.#firstStep = s.step - 1;
    const now = performance.now();
    if (now - this.#lastDrawn > 500 || s.step === s.totalSteps) {
      this.#lastDrawn = now;
      this.print(progressLine(s, this.#firstStep));
    }
  }
}

/**
 * `n` and the noun, singular for one: "1 sentence", "2 sentences" (the plural is the
 * noun with an s unless given).
 */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
