/**
 * How a model turns text into tokens and back. Word-level for the StatQuest model; the
 * interface leaves room for subword tokenizers.
 * @module
 */
import { detokenizeWords, tokenizeWords } from "./word_tokenizer.ts";

/** Splits text into tokens and joins tokens into text. */
export interface TextCodec {
  /** A name saved in checkpoints ("word"). */
  readonly kind: string;
  /** Text to tokens. */
  tokenize(text: string): string[];
  /** Text to translate to tokens, where that differs from `tokenize` (optional). */
  tokenizeSource?(text: string): string[];
  /** Tokens to text. */
  detokenize(tokens: readonly string[]): string;
}

/**
 * The word-level codec: lowercase words, punctuation as separate tokens.
 *
 * @example
 * ```ts
 * import { WordCodec } from "@vamos/transformer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(new WordCodec().tokenize("Let's go."), ["let's", "go", "."]);
 * ```
 */
export class WordCodec implements TextCodec {
  /** Always "word". */
  readonly kind = "word";
  /** Lowercase words and punctuation. */
  tokenize(text: string): string[] {
    return tokenizeWords(text);
  }
  /** Words joined by spaces, punctuation attached. */
  detokenize(tokens: readonly string[]): string {
    return detokenizeWords(tokens);
  }
}
