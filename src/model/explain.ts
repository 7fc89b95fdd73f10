/**
 * The computation of one translation, told the way the textbook (and StatQuest's video)
 * walks through it, with this model's real numbers: embeddings, positions, queries, keys
 * and values, similarity scores, softmax percentages, residual sums, and for every decoded
 * word the decoder's steps and the probability of every output word.
 *
 * `explain()` returns it as data (`explain_types.ts`), one step per idea with the tensors
 * it comes from; `formatExplanation()` (src/cli/explain_text.ts) writes it as the text
 * `translate.ts --explain` prints, and the playground draws the same steps as pictures.
 * @module
 */
import type { Transformer } from "./model.ts";
import { DIMS_SHOWN, type ExplainStep, type Explanation, percentages } from "./explain_types.ts";
import { embeddingScale, TRACE, traceName, type TracePoint } from "./layers.ts";
import type { AttentionParams, NormParams } from "./config.ts";

export * from "./explain_types.ts";

interface Traced {
  values: Float32Array;
  cols: number;
}

const row = (t: Traced, r: number, c0 = 0, c1 = t.cols) =>
  Array.from(t.values.subarray(r * t.cols + c0, r * t.cols + c1));

/**
 * What every step is made from: one translation's traced forward pass (its tensors by the
 * names the layers traced them under), its tokens, the model's shape, and the steps
 * written so far.
 */
class Walk {
  readonly c: Transformer["config"];
  /** Source ids (EOS included), the translation's ids, and the decoder's inputs. */
  readonly src: number[];
  readonly out: number[];
  readonly tgtIn: number[];
  /** The same as tokens. */
  readonly source: string[];
  readonly target: string[];
  readonly handles: Transformer["core"]["handles"];
  /** Whether the model is small enough to show every vector (the StatQuest model). */
  readonly small: boolean;
  readonly d: number;
  readonly dh: number;
  readonly post: boolean;
  readonly embedScale: number;
  readonly steps: ExplainStep[] = [];
  readonly #traced = new Map<string, Traced>();

  constructor(readonly model: Transformer, text: string) {
    const c = this.c = model.config;
    this.src = model.encodeSource(text);
    this.out = model.translateIds([this.src])[0];
    this.tgtIn = [model.startId, ...this.out];
    this.source = model.srcVocab.decode(this.src);
    this.target = model.tgtVocab.decode(this.tgtIn);
    model.core.traceForward(this.src, this.tgtIn, (name, values, cols) => {
      this.#traced.set(name, { values, cols });
    });
    this.handles = model.core.handles;
    this.small = c.dModel <= DIMS_SHOWN * 2 && c.heads === 1;
    this.d = c.dModel;
    this.dh = c.dModel / c.heads;
    this.post = c.norm === "post";
    this.embedScale = embeddingScale(c);
  }

  /** A traced tensor by name. */
  readonly get = (name: string): Traced => this.#traced.get(name)!;

  /** The name a handle's tensor was traced under. */
  readonly at = (site: { site: string }, point: TracePoint): string => traceName(site.site, point);

  /** A residual sublayer's output: its normalized sum after post-norm, else the sum. */
  readonly after = (n: NormParams): string =>
    this.at(n, this.post ? TRACE.normalized : TRACE.residual);

  /** A tensor's rows, labelled. */
  readonly vectors = (t: Traced, labels: string[]) =>
    labels.map((label, i) => ({ label, values: row(t, i) }));

  /** Row i of an attention map (averaged over heads), over its first n keys. */
  readonly weights = (probs: Traced, seqQ: number, seqK: number, i: number, n = seqK) => {
    const heads = this.c.heads, w = new Float64Array(n);
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < n; j++) w[j] += probs.values[(h * seqQ + i) * seqK + j] / heads;
    }
    return Array.from(w);
  };

  /** Query i's similarity score with key j (first head), scaled as the model scales it. */
  readonly score = (q: Traced, k: Traced, i: number, j: number): number => {
    let s = 0;
    for (let e = 0; e < this.dh; e++) s += q.values[i * q.cols + e] * k.values[j * k.cols + e];
    return this.c.scaleAttention ? s / Math.sqrt(this.dh) : s;
  };

  /** Adds a step (of the encoder unless it says otherwise). */
  readonly step = (s: Omit<ExplainStep, "part"> & { part?: ExplainStep["part"] }): void => {
    this.steps.push({ part: "encoder", ...s });
  };
}

// The encoder's input: word embedding, positional encoding, their sum.
function inputSteps(walk: Walk): void {
  const { model, src, source, get, at, handles, d, vectors, step, embedScale } = walk;
  // The encoder: embedding, positions, then each layer's self-attention and feed-forward.
  const table = model.core.params.get(handles.encoder.embedding).toArray();
  const embedding = (t: Float32Array, id: number) =>
    Array.from(t.subarray(id * d, (id + 1) * d), (v) => v * embedScale);
  const vocabulary = model.srcVocab.size <= 16 && model.tgtVocab.size <= 16
    ? (() => {
      const tgt = model.core.params.get(handles.decoder.embedding).toArray();
      return [
        ...model.srcVocab.tokens.map((token, id) => ({
          token,
          lang: "source" as const,
          values: embedding(table, id),
        })),
        ...model.tgtVocab.tokens.map((token, id) => ({
          token,
          lang: "target" as const,
          values: embedding(tgt, id),
        })),
      ];
    })()
    : undefined;
  step({
    idea: "embedding",
    title: "Word embedding",
    caption: `Each input word becomes ${d} numbers: a row of the embedding table${
      embedScale !== 1 ? ` (times √${d})` : ""
    }, learned in training. Words used alike end up near each other.`,
    tensors: [handles.encoder.embedding.name],
    vectors: source.map((label, i) => ({ label, values: embedding(table, src[i]) })),
    vocabulary,
  });
  const pe = model.core.pe.toArray();
  step({
    idea: "positions",
    title: "Positional encoding",
    caption: "Word order matters, so each position gets its own numbers: the values of sine " +
      "and cosine waves (wider and wider ones in later dimensions) at that position.",
    tensors: ["pe"],
    vectors: source.map((t, i) => ({
      label: `${i} (${t})`,
      values: Array.from(pe.subarray(i * d, (i + 1) * d)),
    })),
    rates: Array.from({ length: d }, (_, i) => 10000 ** ((2 * Math.floor(i / 2)) / d)),
  });
  step({
    idea: "embedding+positions",
    title: "Embedding + positional encoding",
    caption: "Adding the two gives each word numbers that say both what it is and where it is.",
    tensors: [at(handles.encoder, TRACE.input)],
    vectors: vectors(get(at(handles.encoder, TRACE.input)), source),
  });
}

// One encoder layer: queries, keys and values, scores, softmax, values, residual, feed-forward.
function encoderLayerSteps(walk: Walk, l: number): void {
  const { c, source, get, at, handles, small, dh, post, after, vectors, weights, score, step } =
    walk;
  const h = handles.encoder.layers[l], sa = h.selfAttn;
  const q = get(at(sa, TRACE.q)), k = get(at(sa, TRACE.k)), v = get(at(sa, TRACE.v));
  const layer = c.encoderLayers > 1 ? ` (layer ${l + 1})` : "";
  if (small || l === 0) {
    step({
      idea: "queries-keys-values",
      title: `Queries, keys and values${layer}`,
      caption: "Self-attention: each word's numbers times three sets of weights give a query " +
        "(what it looks for), a key (what it offers) and a value (what it passes on).",
      tensors: [at(sa, TRACE.q), at(sa, TRACE.k), at(sa, TRACE.v)],
      layer: l,
      qkv: source.map((label, i) => ({ label, q: row(q, i), k: row(k, i), v: row(v, i) })),
    });
  }
  if (c.heads === 1) {
    step({
      idea: "scores",
      title: `Similarity scores${layer}`,
      caption: `Every query times every key (the dot product${
        c.scaleAttention ? `, divided by √${dh}` : ""
      }): a large score means the word on the row should pay attention to the word in the column.`,
      tensors: [at(sa, TRACE.q), at(sa, TRACE.k)],
      layer: l,
      matrix: {
        rows: source,
        cols: source,
        values: source.map((_, i) => source.map((_, j) => score(q, k, i, j))),
      },
    });
  }
  const w = source.map((_, i) =>
    weights(get(at(sa, TRACE.probs)), source.length, source.length, i)
  );
  step({
    idea: "softmax",
    title: `Softmax${layer}`,
    caption: `The softmax turns each row of scores into percentages that add up to 100%: ` +
      `how much each word attends to every word${
        c.heads > 1 ? ` (the average over the ${c.heads} heads)` : ""
      }.`,
    tensors: [at(sa, TRACE.probs)],
    layer: l,
    matrix: { rows: source, cols: source, values: w, percent: w.map((r) => percentages(r)) },
  });
  step({
    idea: "attention-values",
    title: `Self-attention values${layer}`,
    caption: `Each word's new numbers: every word's value scaled by its percentage, summed${
      c.attentionOutProj ? ", then the output projection" : ""
    }.`,
    tensors: [at(sa, TRACE.out)],
    layer: l,
    vectors: vectors(get(at(sa, TRACE.out)), source),
  });
  step({
    idea: "residual",
    title: `Residual connection${layer}`,
    caption: `The self-attention values plus the layer's input${
      post ? ", then layer normalization" : ""
    }: the word keeps what it was while adding what it learned from the others.`,
    tensors: [after(h.norm1)],
    layer: l,
    vectors: vectors(get(after(h.norm1)), source),
  });
  if (c.dFF) {
    step({
      idea: "feed-forward",
      title: `Feed-forward${layer}`,
      caption: `A small network (${c.dFF} ${c.activation} units) applied to each word on its ` +
        `own, plus the residual${post ? " and layer normalization" : ""}.`,
      tensors: [after(h.norm2)],
      layer: l,
      vectors: vectors(get(after(h.norm2)), source),
    });
  }
}

// The encoder output, and the keys and values the decoder's cross-attention makes of it.
function encoderOutputSteps(walk: Walk): void {
  const { c, source, get, at, handles, small, vectors, step } = walk;
  step({
    idea: "encoder-output",
    title: "Encoder output",
    caption: "What the encoder made of the sentence: the keys and values of the " +
      "encoder-decoder attention come from it.",
    tensors: [TRACE.memory],
    vectors: vectors(get(TRACE.memory), source),
  });
  for (let l = 0; l < c.decoderLayers; l++) {
    if (!small && l > 0) break;
    const ca = handles.decoder.layers[l].crossAttn;
    const k = get(at(ca, TRACE.k)), v = get(at(ca, TRACE.v));
    step({
      idea: "encoder-decoder-keys-values",
      title: "Encoder-decoder keys and values",
      caption: "The encoder output times the key and value weights of the decoder's " +
        "encoder-decoder attention: computed once, used at every decoding step.",
      tensors: [at(ca, TRACE.k), at(ca, TRACE.v)],
      layer: l,
      qkv: source.map((label, i) => ({ label, q: [], k: row(k, i), v: row(v, i) })),
    });
  }
}

// One decoder attention of step t in layer l: query t against the keys it may see, then
// the residual sublayer's output.
function decoderAttentionStep(
  walk: Walk,
  t: number,
  l: number,
  a: AttentionParams,
  norm: NormParams,
  keys: string[],
  s: Pick<ExplainStep, "idea" | "title" | "caption" | "qkv">,
): void {
  const { c, tgtIn, source, get, at, handles, after, weights, score, step } = walk;
  const q = get(at(a, TRACE.q)), k = get(at(a, TRACE.k));
  const self = a === handles.decoder.layers[l].selfAttn;
  const w = weights(
    get(at(a, TRACE.probs)),
    tgtIn.length,
    self ? tgtIn.length : source.length,
    t,
    keys.length,
  );
  step({
    ...s,
    part: "decoder",
    tensors: [at(a, TRACE.q), at(a, TRACE.k), at(a, TRACE.probs), after(norm)],
    layer: l,
    decoderStep: t,
    attention: {
      keys,
      scores: c.heads === 1 ? keys.map((_, j) => score(q, k, t, j)) : undefined,
      weights: w,
      percent: percentages(w),
    },
    residual: row(get(after(norm)), t),
  });
}

// Decoding step t in layer l: masked self-attention, encoder-decoder attention,
// feed-forward.
function decoderLayerSteps(walk: Walk, t: number, l: number): void {
  const { c, source, target, get, at, handles, small, post, after, step } = walk;
  const h = handles.decoder.layers[l];
  const seen = target.slice(0, t + 1);
  const sa = (point: TracePoint) => get(at(h.selfAttn, point));
  decoderAttentionStep(walk, t, l, h.selfAttn, h.norm1, seen, {
    idea: "masked-self-attention",
    title: `Masked self-attention, step ${t + 1}`,
    caption: `"${target[t]}" attends to the words written so far (${
      seen.map((s) => `"${s}"`).join(", ")
    }); later ones are masked out. Then the residual${post ? " and the norm" : ""}.`,
    qkv: small
      ? [{
        label: target[t],
        q: row(sa(TRACE.q), t),
        k: row(sa(TRACE.k), t),
        v: row(sa(TRACE.v), t),
      }]
      : undefined,
  });
  decoderAttentionStep(walk, t, l, h.crossAttn, h.norm2, source, {
    idea: "encoder-decoder-attention",
    title: `Encoder-decoder attention, step ${t + 1}`,
    caption: "The decoder's query against the encoder's keys: which input words matter " +
      `for the next word. Their values, weighted so, are summed; then the residual${
        post ? " and the norm" : ""
      }.`,
    qkv: small
      ? [{ label: target[t], q: row(get(at(h.crossAttn, TRACE.q)), t), k: [], v: [] }]
      : undefined,
  });
  if (c.dFF) {
    step({
      idea: "feed-forward",
      part: "decoder",
      title: `Feed-forward, step ${t + 1}`,
      caption: `The feed-forward network on this step's numbers, plus the residual${
        post ? " and the norm" : ""
      }.`,
      tensors: [after(h.norm3)],
      layer: l,
      decoderStep: t,
      residual: row(get(after(h.norm3)), t),
    });
  }
}

// One decoding step: its input, each decoder layer's steps, then the output words.
function decoderSteps(walk: Walk, t: number): void {
  const { c, target, get, at, handles, step } = walk;
  const input = at(handles.decoder, TRACE.input);
  step({
    idea: "decoder-input",
    part: "decoder",
    title: `Decoder step ${t + 1}: "${target[t]}"`,
    caption: t === 0
      ? `The decoder starts from "${
        target[0]
      }": its embedding plus the positional encoding of position 0.`
      : `The decoder's input is the word it just wrote, "${
        target[t]
      }", embedded, plus position ${t}.`,
    tensors: [input],
    decoderStep: t,
    vectors: [{ label: target[t], values: row(get(input), t) }],
  });
  for (let l = 0; l < c.decoderLayers; l++) decoderLayerSteps(walk, t, l);
  outputStep(walk, t);
}

// The decoding step's output: the fully connected layer's scores, their softmax, the
// token kept.
function outputStep(walk: Walk, t: number): void {
  const { model, c, out, get, step } = walk;
  const logits = get(TRACE.logits);
  const V = c.tgtVocab;
  const part = "decoder" as const;
  const lg = row(logits, t);
  let m = -Infinity;
  for (const x of lg) m = Math.max(m, x);
  const e = lg.map((x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  const probs = e.map((x) => x / sum);
  const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a]);
  const shown = percentages(probs, 1);
  const word = (w: number) => ({
    token: model.tgtVocab.tokens[w],
    logit: lg[w],
    probability: probs[w],
    percent: shown[w],
  });
  // The walk-through follows the translation: at each step, the token it has (beam
  // search may keep another than the most likely one of this step alone).
  const id = t < out.length ? out[t] : model.tgtVocab.eos;
  const chosen = model.tgtVocab.tokens[id];
  step({
    idea: "output",
    part,
    title: `Output, step ${t + 1}: "${chosen}"`,
    caption: `A fully connected layer gives one score per Spanish ${
      V <= 8 ? "word" : "token"
    }; the softmax turns the scores into probabilities. ${
      chosen === "<EOS>" ? `"<EOS>" ends the translation.` : `Next word: "${chosen}".`
    }`,
    tensors: [TRACE.logits],
    decoderStep: t,
    words: V <= 8 ? Array.from({ length: V }, (_, w) => word(w)) : order.slice(0, 5).map(word),
    allWords: V <= 8,
    chosen: { token: chosen, mostLikely: model.tgtVocab.tokens[order[0]] },
  });
}

/**
 * How `model` translates `text`, step by step with the model's own numbers: the data
 * that `formatExplanation` writes as text (`translate.ts --explain`) and the playground
 * draws. The steps follow the translation `model.translate(text)` gives.
 *
 * @example
 * ```ts
 * import { explain, statquestModel } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const e = explain(statquestModel(), "let's go");
 * equal(e.translation, "vamos");
 * equal(e.steps[0].idea, "embedding");
 * equal(e.steps.at(-1)!.chosen!.token, "<EOS>");
 * ```
 */
export function explain(model: Transformer, text: string): Explanation {
  const walk = new Walk(model, text);
  const { c, out, tgtIn, source, target, d, steps, embedScale } = walk;
  inputSteps(walk);
  for (let l = 0; l < c.encoderLayers; l++) encoderLayerSteps(walk, l);
  encoderOutputSteps(walk);
  for (let t = 0; t < tgtIn.length; t++) decoderSteps(walk, t);
  return {
    text,
    translation: model.codec.detokenize(model.tgtVocab.decode(out)),
    beam: model.beam,
    source,
    target,
    model: {
      dModel: d,
      heads: c.heads,
      encoderLayers: c.encoderLayers,
      decoderLayers: c.decoderLayers,
      dFF: c.dFF,
      activation: c.activation,
      norm: c.norm,
      scaleAttention: c.scaleAttention,
      attentionOutProj: c.attentionOutProj,
      embedScale,
    },
    steps,
  };
}
