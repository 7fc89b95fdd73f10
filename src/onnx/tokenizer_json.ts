/**
 * A model's tokenizer as Hugging Face `tokenizer.json`, the format transformers.js and
 * the `tokenizers` library read: the same normalization, word split, merges and byte
 * fallback as {@linkcode BpeCodec.tokenize} (or the word-level codec), `<EOS>` appended to
 * every source, and a decoder that undoes it as `detokenize` does.
 *
 * What it cannot express: `tokenizeSource`'s adjustments of capitals (a capitalized first
 * word read in lowercase when that splits into fewer pieces; shouted text read as Title or
 * lowercase). Text tokenized by this file is tokenized as `tokenize` does, which is also
 * how the training data was read.
 * @module
 */
import type { Transformer } from "../model/model.ts";
import { BpeCodec } from "../text/bpe.ts";
import { EOS, SOS, UNK } from "../text/vocabulary.ts";
import type { IdSpace } from "./transformer_graph.ts";

// JavaScript's \s, spelled out: the tokenizers' regular expressions rewrite \s to
// \p{White_Space}, which differs from it in U+0085 and U+FEFF.
const JS_SPACE =
  "\\t\\n\\x0B\\f\\r \\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF";
const WORD = "[\\p{L}\\p{N}\\p{M}]+(?:['’][\\p{L}\\p{N}\\p{M}]+)*";

/** `tokenizer.json` for a model (an object to serialize). */
export function tokenizerJson(model: Transformer, space: IdSpace): Record<string, unknown> {
  const special = [EOS, SOS].filter((t) => space.tokens.includes(t)).map((t) => ({
    id: space.tokens.indexOf(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const vocab = Object.fromEntries(space.tokens.map((t, i) => [t, i]));
  const postProcessor = {
    type: "TemplateProcessing",
    single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: EOS, type_id: 0 } }],
    pair: [
      { Sequence: { id: "A", type_id: 0 } },
      { Sequence: { id: "B", type_id: 0 } },
      { SpecialToken: { id: EOS, type_id: 0 } },
    ],
    special_tokens: { [EOS]: { id: EOS, ids: [space.tokens.indexOf(EOS)], tokens: [EOS] } },
  };
  const common = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special,
    post_processor: postProcessor,
  };
  const codec = model.codec;
  return {
    ...common,
    ...(codec instanceof BpeCodec ? bpeTokenizer(codec, vocab) : wordTokenizer(model, vocab)),
  };
}

// Subwords: runs of spaces become one space; each piece keeps one space before it, as "▁".
function bpeTokenizer(codec: BpeCodec, vocab: Record<string, number>): Record<string, unknown> {
  return {
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: `[${JS_SPACE}]+` }, content: " " },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: ` ?(?:${WORD}|[^ \\p{L}\\p{N}\\p{M}])` },
          behavior: "Removed",
          invert: true,
        },
        { type: "Metaspace", replacement: "▁", prepend_scheme: "never", split: false },
      ],
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: codec.merges.map(([a, b]) => [a, b]),
    },
  };
}

// Word-level (the StatQuest model): lowercase words and single other characters.
function wordTokenizer(model: Transformer, vocab: Record<string, number>): Record<string, unknown> {
  return {
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Lowercase" },
        { type: "Replace", pattern: { String: "’" }, content: "'" },
      ],
    },
    pre_tokenizer: {
      type: "Split",
      pattern: { Regex: `[\\p{L}\\p{N}]+(?:['’][\\p{L}\\p{N}]+)*|[^${JS_SPACE}\\p{L}\\p{N}]` },
      behavior: "Removed",
      invert: true,
    },
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: model.srcVocab.unk !== undefined ? UNK : null },
  };
}

/** `tokenizer_config.json`: the special tokens and the class transformers.js builds. */
export function tokenizerConfig(model: Transformer, space: IdSpace): Record<string, unknown> {
  const decoder = Object.fromEntries(
    [EOS, SOS].filter((t) => space.tokens.includes(t)).map((t) => [
      String(space.tokens.indexOf(t)),
      {
        content: t,
        lstrip: false,
        normalized: false,
        rstrip: false,
        single_word: false,
        special: true,
      },
    ]),
  );
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    added_tokens_decoder: decoder,
    eos_token: EOS,
    pad_token: EOS,
    ...(model.tgtVocab.sos !== undefined ? { bos_token: SOS } : {}),
    model_max_length: model.config.maxLen,
    clean_up_tokenization_spaces: !(model.codec instanceof BpeCodec),
  };
}
