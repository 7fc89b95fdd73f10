/**
 * A vocabulary: the list of tokens a model knows, with `<EOS>` (and optionally `<SOS>`
 * and `<unk>`) among them.
 * @module
 */
import { VamosError } from "../errors.ts";

/** The end-of-sequence token (the textbook's `<EOS>`). */
export const EOS = "<EOS>";
/** The optional start-of-sequence token. */
export const SOS = "<SOS>";
/** The optional unknown-word token. */
export const UNK = "<unk>";

/** Raised when a sentence has words the vocabulary does not know and has no `<unk>`. */
export class UnknownTokenError extends VamosError {
  /** Creates the error for `words`, listing what the vocabulary knows. */
  constructor(readonly words: string[], readonly known: readonly string[]) {
    const shown = known.filter((t) => t !== EOS && t !== SOS && t !== UNK);
    const list = shown.length <= 20
      ? shown.join(", ")
      : `${shown.slice(0, 20).join(", ")}, … (${shown.length} in all)`;
    super(
      `Unknown word${words.length > 1 ? "s" : ""}: ${
        words.map((w) => `"${w}"`).join(", ")
      }. The model knows: ${list}`,
    );
  }
}

/**
 * An ordered list of tokens and the map back from token to id.
 *
 * @example
 * ```ts
 * import { Vocabulary } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * const v = new Vocabulary(["let's", "to", "go", "<EOS>"]);
 * deepEqual(v.encode(["let's", "go"]), [0, 2]);
 * deepEqual(v.eos, 3);
 * ```
 */
export class Vocabulary {
  readonly #index = new Map<string, number>();

  /** Creates a vocabulary; `tokens` must be distinct and include `<EOS>`. */
  constructor(readonly tokens: readonly string[]) {
    tokens.forEach((t, i) => {
      if (this.#index.has(t)) throw new VamosError(`Vocabulary has "${t}" twice`);
      this.#index.set(t, i);
    });
    if (!this.#index.has(EOS)) throw new VamosError(`Vocabulary has no ${EOS} token`);
  }

  /** Number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** Id of `<EOS>`. */
  get eos(): number {
    return this.#index.get(EOS)!;
  }

  /** Id of `<SOS>`, or undefined. */
  get sos(): number | undefined {
    return this.#index.get(SOS);
  }

  /** Id of `<unk>`, or undefined. */
  get unk(): number | undefined {
    return this.#index.get(UNK);
  }

  /** The id of a token, or undefined when unknown. */
  id(token: string): number | undefined {
    return this.#index.get(token);
  }

  /** Tokens not in this vocabulary. */
  unknown(tokens: readonly string[]): string[] {
    return [...new Set(tokens.filter((t) => !this.#index.has(t)))];
  }

  /** Ids of `tokens`; unknown ones become `<unk>`, or throw UnknownTokenError without it. */
  encode(tokens: readonly string[]): number[] {
    const missing = this.unknown(tokens);
    if (missing.length && this.unk === undefined) {
      throw new UnknownTokenError(missing, this.tokens);
    }
    return tokens.map((t) => this.#index.get(t) ?? this.unk!);
  }

  /** Tokens of `ids`. */
  decode(ids: readonly number[]): string[] {
    return ids.map((i) => {
      const t = this.tokens[i];
      if (t === undefined) throw new VamosError(`Token id ${i} is outside the vocabulary`);
      return t;
    });
  }

  /**
   * Builds a vocabulary from tokenized sentences: tokens seen at least `minCount` times,
   * most frequent first (ties alphabetical), then the special tokens.
   */
  static fromCorpus(
    sentences: Iterable<readonly string[]>,
    opts: { minCount?: number; maxSize?: number; sos?: boolean; unk?: boolean } = {},
  ): Vocabulary {
    const counts = new Map<string, number>();
    for (const s of sentences) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1);
    const specials = [EOS, ...(opts.sos ? [SOS] : []), ...(opts.unk ? [UNK] : [])];
    let words = [...counts].filter(([t, n]) => n >= (opts.minCount ?? 1) && !specials.includes(t))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    if (opts.maxSize) words = words.slice(0, Math.max(0, opts.maxSize - specials.length));
    return new Vocabulary([...words, ...specials]);
  }
}
