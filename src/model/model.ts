/**
 * The public model: a Transformer with its vocabularies and tokenizer, translating
 * text to text.
 * @module
 */
import {
  configFromPreset,
  type PresetName,
  PRESETS,
  type TransformerConfig,
  validateConfig,
} from "./config.ts";
import { type AttentionMaps, TransformerCore } from "./transformer_core.ts";
import {
  type BatchOptions,
  decodeInBatches,
  nbestInBatches,
  planBatches,
  type TextResult,
  translateTexts,
} from "./batch_translate.ts";
import { DEFAULT_ALPHA } from "./beam.ts";
import { UnknownTokenError, type Vocabulary } from "../text/vocabulary.ts";
import { type TextCodec, WordCodec } from "../text/codec.ts";
import { BpeCodec } from "../text/bpe.ts";
import { VamosError } from "../errors.ts";
import { checkDecodingOptions } from "../options.ts";
import {
  maskedOrText,
  type MaskedText,
  maskSpans,
  unknownNames,
  unmaskSpans,
} from "../text/verbatim.ts";
import { cleanText, notTextProblem } from "../text/hygiene.ts";
import { englishExpressions } from "../text/expressions.ts";
import { checkRerank } from "./rerank.ts";
import type { Shortlist } from "./shortlist.ts";

// Most words whose spelling in bytes a model remembers (then it starts again).
const IN_BYTES_WORDS = 50_000;

/** Options of {@linkcode createModel}. */
export interface CreateModelOptions {
  /** Source-language vocabulary. */
  srcVocab: Vocabulary;
  /** Target-language vocabulary. */
  tgtVocab: Vocabulary;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Fields that replace the preset's. */
  overrides?: Partial<TransformerConfig>;
  /** Tokenizer (default: word-level). */
  codec?: TextCodec;
  /** Threads for the kernels (default: every core). */
  threads?: number;
}

/** Attention weights of one sentence, with the tokens they refer to. */
export interface SentenceAttention extends AttentionMaps {
  /** Source tokens, `<EOS>` included: the keys of encoder and cross attention. */
  sourceTokens: string[];
  /** Decoder input tokens (start token, then the translation). */
  targetTokens: string[];
  /** Heads per layer. */
  heads: number;
}

/**
 * A Transformer that translates: configuration, weights, vocabularies and tokenizer.
 *
 * @example
 * ```ts
 * import { createModel, Vocabulary } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const model = createModel("statquest", {
 *   srcVocab: new Vocabulary(["let's", "to", "go", "<EOS>"]),
 *   tgtVocab: new Vocabulary(["ir", "vamos", "y", "<EOS>"]),
 * });
 * equal(model.config.dModel, 2);
 * equal(typeof model.translate("let's go"), "string"); // untrained: any Spanish words
 * ```
 */
export class Transformer {
  /**
   * The numeric model (parameters, passes) behind the text interface.
   * @ignore
   */
  readonly core: TransformerCore;

  /**
   * Beam width of translations that name none: 1 is greedy decoding. A checkpoint's
   * `beam` metadata sets it when the model loads (the shipped model's is 4).
   */
  beam = 1;

  /**
   * Length-penalty exponent α of beam search when a call names none (default 0.6, as
   * Wu et al. 2016); a checkpoint's `alpha` metadata sets it.
   */
  alpha: number = DEFAULT_ALPHA;

  /**
   * Carry verbatim spans through translations (URLs, e-mail addresses, numbers, emoji and
   * symbols, code-like tokens, names the training data did not hold): they are
   * replaced by placeholders the model learned to copy, and put back after decoding. A
   * checkpoint trained with them (`train.ts --verbatim`, metadata `verbatim`) sets it.
   */
  verbatim = false;

  /**
   * The words (lowercase) the model saw often enough in training to translate them: with
   * {@linkcode verbatim}, capitalized words outside it are carried through as names. Set
   * from a checkpoint's `verbatim_known` metadata.
   */
  verbatimKnown?: ReadonlySet<string>;

  /**
   * The language translated from: with {@linkcode verbatim} on an English source, times,
   * titles, amounts, dates and months whose Spanish is a rule ("at 3 p.m." → "a las 3
   * p. m.") are carried through as spans in their Spanish form. A checkpoint's recorded
   * direction sets it.
   */
  sourceLanguage: "en" | "es" = "en";

  /**
   * The vocabulary shortlist translations may decode with (see {@linkcode useShortlist}):
   * per source token, the target tokens it translates to, learned from the training
   * corpus (`learnShortlist`); a checkpoint that holds one sets it.
   */
  shortlist?: Shortlist;

  /**
   * Whether translations decode over {@linkcode shortlist} when a call does not say
   * (`shortlist` in its options). Default false: the whole vocabulary, whose scores are
   * exactly normalized (the shipped en→es model: test BLEU 52.1 against 51.6 over the
   * shortlist, beam 4); the shortlist is faster one sentence at a time.
   *
   * @example Decode over the shortlist by default
   * ```ts
   * import { loadDefaultModel } from "@vamos/transformer/default-model";
   * const model = await loadDefaultModel();
   * model.useShortlist = true;
   * console.log(model.translate("Where is the station?"));
   * ```
   */
  useShortlist = false;

  // Per word, whether the source tokenizer spells it in bytes: asked of every word of every
  // text, and words repeat (tokenizing each one took a third of masking a sentence).
  readonly #inBytes = new Map<string, boolean>();

  /** Wraps a numeric model with its vocabularies and tokenizer. */
  constructor(
    core: TransformerCore,
    readonly srcVocab: Vocabulary,
    readonly tgtVocab: Vocabulary,
    readonly codec: TextCodec = new WordCodec(),
  ) {
    this.core = core;
    const c = core.config;
    if (srcVocab.size !== c.srcVocab || tgtVocab.size !== c.tgtVocab) {
      throw new VamosError(
        `Vocabulary sizes ${srcVocab.size}/${tgtVocab.size} do not match the config's ${c.srcVocab}/${c.tgtVocab}`,
      );
    }
    if (c.startToken === "sos" && tgtVocab.sos === undefined) {
      throw new VamosError(
        'The config starts decoding with <SOS>, but the target vocabulary has no "<SOS>"',
      );
    }
  }

  /** The configuration. */
  get config(): TransformerConfig {
    return this.core.config;
  }

  /** The id the decoder starts from. */
  get startId(): number {
    return this.config.startToken === "eos" ? this.tgtVocab.eos : this.tgtVocab.sos!;
  }

  /** Threads the kernels use, the caller's included. */
  get threads(): number {
    return this.core.rt.threads;
  }

  /**
   * Resolves once this model's worker threads run (all of them, or as many as could
   * start), so that the first call is already parallel. Optional: until then, work
   * runs on the calling thread with identical results. `loadModel` waits for it.
   *
   * @example
   * ```ts
   * import { createModel, Vocabulary } from "@vamos/transformer";
   * const vocab = new Vocabulary(["a", "b", "<EOS>"]);
   * const model = await createModel("statquest", { srcVocab: vocab, tgtVocab: vocab }).ready();
   * console.log(model.threads);
   * model.close();
   * ```
   */
  async ready(): Promise<this> {
    await this.core.rt.ready();
    return this;
  }

  /**
   * Stops this model's worker threads now. Optional: idle workers stop by themselves
   * after a quarter second, so a finished program exits either way.
   */
  close(): void {
    this.core.rt.close();
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.core.params.parameterCount;
  }

  /** Source token ids of a sentence, `<EOS>` appended. Throws for unknown words without `<unk>`. */
  encodeSource(text: string): number[] {
    const tokens = this.#sourceTokens(text);
    if (tokens.length === 0) throw new VamosError("Nothing to translate: the text is empty");
    const ids = [...this.srcVocab.encode(tokens), this.srcVocab.eos];
    if (ids.length > this.config.maxLen) {
      throw new VamosError(
        `The text has ${tokens.length} tokens; this model takes at most ${this.config.maxLen - 1}`,
      );
    }
    return ids;
  }

  /**
   * `text` with its verbatim spans replaced by placeholders, when {@linkcode verbatim} is
   * on; undefined otherwise.
   */
  maskSpans(text: string): MaskedText | undefined {
    if (!this.verbatim) return undefined;
    const bytes = (w: string) => {
      let spelled = this.#inBytes.get(w);
      if (spelled === undefined) {
        spelled = this.codec.tokenize(` ${w}`).some((x) => /^<0x[0-9A-F]{2}>$/.test(x));
        if (this.#inBytes.size >= IN_BYTES_WORDS) this.#inBytes.clear();
        this.#inBytes.set(w, spelled);
      }
      return spelled;
    };
    // A word the vocabulary can only spell byte by byte cannot be translated; nor can a
    // capitalized word the training data did not hold (a name the model cannot know).
    const names = this.verbatimKnown ? unknownNames(this.verbatimKnown) : () => false;
    const rules = this.sourceLanguage === "en" ? englishExpressions : undefined;
    return maskSpans(text, (w, start) => bytes(w) || names(w, start), rules);
  }

  /** Source words of `text` the model does not know (empty if all are known). */
  unknownWords(text: string): string[] {
    if (this.srcVocab.unk !== undefined) return [];
    return this.srcVocab.unknown(this.#sourceTokens(text));
  }

  // A call's decoding options, the model's defaults filled in.
  #decoding(opts: BatchOptions): BatchOptions {
    checkDecodingOptions(opts);
    if (opts.rerank !== undefined) checkRerank(opts.rerank);
    if (opts.shortlist !== undefined && typeof opts.shortlist !== "boolean") {
      throw new VamosError(`shortlist must be true or false, got ${typeof opts.shortlist}`);
    }
    return {
      ...opts,
      beam: opts.beam ?? this.beam,
      alpha: opts.alpha ?? this.alpha,
      shortlist: opts.shortlist ?? this.useShortlist,
    };
  }

  // The tokens of a text to translate (the codec's source-side variant where it has one).
  #sourceTokens(text: string): string[] {
    return this.codec.tokenizeSource?.(text) ?? this.codec.tokenize(text);
  }

  /**
   * Translations of token-id sequences (each without start and `<EOS>`), any number of
   * them: they are decoded in bounded batches, results in input order.
   */
  translateIds(
    src: readonly (readonly number[])[],
    maxTokens?: number,
    opts: BatchOptions = {},
  ): number[][] {
    return decodeInBatches(this, src, { ...this.#decoding(opts), maxTokens });
  }

  /**
   * Translates one text: a sentence or a paragraph (split into sentences, translated
   * as a batch and joined). Blank text gives "".
   */
  translate(text: string, opts?: BatchOptions): string;
  /**
   * Translates any number of texts in bounded memory (batches of at most 64 sentences,
   * sorted by length), results in input order.
   */
  translate(texts: readonly string[], opts?: BatchOptions): string[];
  translate(input: string | readonly string[], opts: BatchOptions = {}): string | string[] {
    const texts = typeof input === "string" ? [input] : input;
    if (!Array.isArray(texts) && typeof input !== "string") {
      throw new VamosError("translate takes a string or an array of strings");
    }
    if (texts.length === 0) return [];
    const results = translateTexts(this, texts, this.#decoding(opts));
    const failed = results.find((r) => r.error);
    if (failed) {
      // Unknown words are reported all at once, from every text.
      if (results.some((r) => r.error instanceof UnknownTokenError)) {
        const unknown = new Set<string>();
        for (const t of texts) {
          if (typeof t === "string") this.unknownWords(t).forEach((w) => unknown.add(w));
        }
        throw new UnknownTokenError([...unknown], this.srcVocab.tokens);
      }
      throw failed.error;
    }
    const out = results.map((r) => r.translation);
    return typeof input === "string" ? out[0] : out;
  }

  /**
   * The `nbest` best translations of one sentence by beam search (width `beam`, at
   * least `nbest`), best first, with their scores (log-probability over the length
   * penalty).
   *
   * @example
   * ```ts
   * import { statquestModel } from "@vamos/transformer";
   * import { equal } from "node:assert/strict";
   * const [best, second] = statquestModel().translateNBest("let's go", { beam: 3, nbest: 2 });
   * equal(best.translation, "vamos");
   * equal(best.score >= second.score, true);
   * ```
   */
  translateNBest(
    text: string,
    opts: BatchOptions & { nbest?: number } = {},
  ): { translation: string; score: number }[] {
    const nbest = opts.nbest ?? 1;
    const beam = Math.max(opts.beam ?? this.beam, nbest);
    const problem = typeof text === "string" ? notTextProblem(text) : "is not a string";
    if (problem) throw new VamosError(`The text ${problem}; not translated`);
    // Spans carried through as in translate(), so no placeholder can reach the output.
    const clean = cleanText(text);
    const masked = this.maskSpans(clean);
    const source = maskedOrText(clean, masked);
    const [hyps] = nbestInBatches(
      this,
      [this.encodeSource(source)],
      { ...this.#decoding(opts), beam },
      nbest,
    );
    return hyps.map((h) => ({
      translation: unmaskSpans(
        this.codec.detokenize(this.tgtVocab.decode(h.tokens)),
        masked?.spans ?? [],
        masked ?? {},
      ),
      score: h.score,
    }));
  }

  /**
   * Translates texts, each on its own: a text that cannot be translated gets an error
   * instead of a translation, and the others are still translated.
   */
  translateEach(texts: readonly string[], opts: BatchOptions = {}): TextResult[] {
    return translateTexts(this, texts, this.#decoding(opts));
  }

  /**
   * log P(target | source) under this model for each pair of texts (teacher forcing,
   * summed over the target's tokens and `<EOS>`); NaN for a pair it cannot score (an
   * empty side, unknown words, or more tokens than it takes). Used as the channel model
   * of noisy-channel reranking: the Spanish→English model scores how well each Spanish
   * candidate explains the English it came from.
   *
   * @example
   * ```ts
   * import { statquestModel } from "@vamos/transformer";
   * const [good, bad] = statquestModel().scoreTranslations(["let's go", "let's go"], ["vamos", "ir"]);
   * console.log(good > bad); // true
   * ```
   */
  scoreTranslations(sources: readonly string[], targets: readonly string[]): number[] {
    if (!Array.isArray(sources) || !Array.isArray(targets) || sources.length !== targets.length) {
      throw new VamosError("scoreTranslations takes two arrays of texts of the same length");
    }
    const out = new Array<number>(sources.length).fill(NaN);
    const src: number[][] = [], tgt: number[][] = [], at: number[] = [];
    sources.forEach((source, i) => {
      const target = targets[i];
      if (typeof source !== "string" || typeof target !== "string") return;
      try {
        const s = this.encodeSource(source);
        const t = [...this.tgtVocab.encode(this.codec.tokenize(target)), this.tgtVocab.eos];
        if (t.length < 2 || t.length > this.config.maxLen) return;
        src.push(s), tgt.push(t), at.push(i);
      } catch (e) {
        if (!(e instanceof VamosError)) throw e;
      }
    });
    for (const batch of planBatches(src.map((s, k) => Math.max(s.length, tgt[k].length)))) {
      const scores = this.core.sequenceLogProbs(
        batch.map((k) => src[k]),
        batch.map((k) => tgt[k]),
        this.startId,
      );
      batch.forEach((k, b) => out[at[k]] = scores[b]);
    }
    return out;
  }

  /** Logits [batch, tgtLen, tgtVocab] for id sequences, padded to the longest. */
  logits(src: readonly (readonly number[])[], tgtIn: readonly (readonly number[])[]): Float32Array {
    return this.core.logits(src, tgtIn);
  }

  /**
   * Attention weights of every layer and head for a sentence and its translation (the
   * model's own greedy translation when none is given).
   */
  attention(text: string, translation?: string): SentenceAttention {
    const src = this.encodeSource(text);
    const tgt = translation === undefined
      ? this.translateIds([src])[0]
      : this.tgtVocab.encode(this.codec.tokenize(translation));
    const tgtIn = [this.startId, ...tgt];
    return {
      ...this.core.attentionMaps(src, tgtIn),
      sourceTokens: this.srcVocab.decode(src),
      targetTokens: this.tgtVocab.decode(tgtIn),
      heads: this.config.heads,
    };
  }
}

/**
 * Creates a model from a preset name or a full configuration, with fresh weights.
 *
 * @example
 * ```ts
 * import { createModel, Vocabulary } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const vocab = new Vocabulary(["a", "b", "<SOS>", "<EOS>"]);
 * const model = createModel("small", { srcVocab: vocab, tgtVocab: vocab, overrides: { dModel: 32 } });
 * equal(model.config.heads, 4);
 * ```
 */
export function createModel(
  preset: PresetName | TransformerConfig,
  opts: CreateModelOptions,
): Transformer {
  const sizes = { srcVocab: opts.srcVocab.size, tgtVocab: opts.tgtVocab.size };
  const config = typeof preset === "string"
    ? configFromPreset(preset, sizes, opts.overrides)
    : validateConfig({ ...preset, ...sizes, ...opts.overrides });
  const core = new TransformerCore(config, { seed: opts.seed ?? 0, threads: opts.threads });
  return new Transformer(core, opts.srcVocab, opts.tgtVocab, opts.codec);
}

/** Options of {@linkcode createSubwordModel}. */
export interface SubwordModelOptions {
  /** Tokens of the shared vocabulary, special and byte tokens included (default 8000). */
  vocabSize?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Threads for the kernels (default: every core). */
  threads?: number;
  /** Fields that replace the preset's (the vocabulary sharing is this recipe's). */
  overrides?: Partial<TransformerConfig>;
}

/**
 * The recipe of a real translator, as `train.ts` and the playground's training worker
 * build it: a byte-pair encoding learned from the training sentences of both languages, one
 * vocabulary shared by both sides, the embedding tables shared and tied to the output, and
 * decoding that starts from `<SOS>`. Untrained.
 *
 * @example
 * ```ts
 * import { createSubwordModel } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const model = createSubwordModel("small", ["I am hungry.", "Tengo hambre."], { vocabSize: 300 });
 * equal(model.config.shareEmbeddings, true);
 * model.close();
 * ```
 */
export function createSubwordModel(
  preset: PresetName,
  sentences: Iterable<string>,
  opts: SubwordModelOptions = {},
): Transformer {
  const bpe = BpeCodec.train(sentences, { vocabSize: opts.vocabSize ?? 8000 });
  return createModel(preset, {
    srcVocab: bpe.vocabulary,
    tgtVocab: bpe.vocabulary,
    codec: bpe,
    seed: opts.seed,
    threads: opts.threads,
    overrides: { ...opts.overrides, shareEmbeddings: true, tieOutput: true, startToken: "sos" },
  });
}

export { PRESETS };
