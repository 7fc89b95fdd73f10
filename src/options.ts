/**
 * The bounds of every number a user can give (beam width, n-best count, length-penalty
 * exponent, token limit, batch size, threads), and their one wording: the library says
 * "beam must be an integer from 1 to 32, got 0", the command-line tools the same of
 * `--beam`. Both check through here, so they agree.
 * @module
 */
import { VamosError } from "./errors.ts";

/** Bounds of a number; `integer` asks for a whole number. */
export interface NumberBounds {
  /** Smallest value allowed (default 0). */
  min?: number;
  /** Largest value allowed (default: no limit). */
  max?: number;
  /** The largest allowed value is just below `max`. */
  belowMax?: boolean;
  /** Only whole numbers. */
  integer?: boolean;
}

/** The most hypotheses beam search keeps per sentence. */
export const MAX_BEAM = 32;

/** The bounds of the decoding options, shared by the library and the CLIs. */
export const DECODING_BOUNDS = {
  beam: { min: 1, max: MAX_BEAM, integer: true },
  nbest: { min: 1, max: MAX_BEAM, integer: true },
  alpha: { min: 0, max: 10 },
  maxTokens: { min: 1, integer: true },
  batchSize: { min: 1, integer: true },
  threads: { min: 1, max: 1024, integer: true },
} as const satisfies Record<string, NumberBounds>;

/** "an integer from 1 to 32", "a positive integer", ...: what the bounds allow. */
export function describeBounds(b: NumberBounds): string {
  const min = b.min ?? 0;
  const kind = b.integer ? "an integer" : "a number";
  if (b.max === undefined) {
    if (b.integer && min === 1) return "a positive integer";
    if (min === 0) return b.integer ? "a non-negative integer" : "a non-negative number";
    return `${kind} of at least ${min}`;
  }
  return `${kind} from ${min} to ${b.max}${b.belowMax ? ` (${b.max} excluded)` : ""}`;
}

/** True when `n` is within the bounds. */
export function withinBounds(n: number, b: NumberBounds): boolean {
  return typeof n === "number" && Number.isFinite(n) && n >= (b.min ?? 0) &&
    (!b.integer || Number.isSafeInteger(n)) &&
    (b.max === undefined || (b.belowMax ? n < b.max : n <= b.max));
}

/** Throws a VamosError unless option `name` (when given) is within its bounds. */
export function checkOption(name: string, value: unknown, b: NumberBounds): void {
  if (value === undefined) return;
  if (!withinBounds(value as number, b)) {
    throw new VamosError(`${name} must be ${describeBounds(b)}, got ${JSON.stringify(value)}`);
  }
}

/** Checks the decoding options a call was given (those it was not given are defaults). */
export function checkDecodingOptions(
  opts: { beam?: number; nbest?: number; alpha?: number; maxTokens?: number; batchSize?: number },
): void {
  for (const key of ["beam", "nbest", "alpha", "maxTokens", "batchSize"] as const) {
    checkOption(key, opts[key], DECODING_BOUNDS[key]);
  }
}
