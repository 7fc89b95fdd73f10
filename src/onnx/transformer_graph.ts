/**
 * A model's encoder and decoder as ONNX graphs, in the layout that transformers.js and
 * Optimum use for encoder-decoder models (`encoder_model.onnx`,
 * `decoder_model_merged.onnx`): one decoder graph serves every step, the first (empty
 * caches) and the later ones alike, without `If`. Positions are computed in the graph
 * (sinusoids of the step's positions), so any length works.
 *
 * Ids in the graphs are those of the exported tokenizer. When the model has separate
 * source and target vocabularies (the StatQuest model), the tokenizer's vocabulary is
 * their union — target tokens first, with their own ids — and the graphs map ids to
 * each side's and spread the logits back over the union.
 * @module
 */
import type { Transformer } from "../model/model.ts";
import { quantizeRows } from "../checkpoint/checkpoint.ts";
import { OnnxGraph } from "./graph.ts";
import type {
  AttentionParams,
  DecoderLayerParams,
  FeedForwardParams,
  NormParams,
  ParamSpec,
} from "../model/config.ts";

/** Ids shared by the tokenizer and both graphs. */
export interface IdSpace {
  /** Tokens by id. */
  tokens: string[];
  /** Source id of each token (-1: not a source token). */
  toSource: number[];
  /** Target id of each token (-1: not a target token). */
  toTarget: number[];
  /** True when both sides use the same ids (one shared vocabulary). */
  shared: boolean;
}

/** The id space of a model's vocabularies. */
export function idSpaceOf(model: Transformer): IdSpace {
  const src = model.srcVocab.tokens, tgt = model.tgtVocab.tokens;
  const shared = src.length === tgt.length && src.every((t, i) => t === tgt[i]);
  if (shared) {
    const ids = src.map((_, i) => i);
    return { tokens: [...src], toSource: ids, toTarget: ids, shared };
  }
  const tokens = [...tgt, ...src.filter((t) => model.tgtVocab.id(t) === undefined)];
  return {
    tokens,
    toSource: tokens.map((t) => model.srcVocab.id(t) ?? -1),
    toTarget: tokens.map((t) => model.tgtVocab.id(t) ?? -1),
    shared,
  };
}

/** Options of the graph builders. */
export interface GraphOptions {
  /** Keep matrices as 8-bit integers with a scale per row (DequantizeLinear). */
  int8?: boolean;
}

const MASKED = -1e9; // added to scores of keys a query must not see

/** Builds the layers of one model into graphs, reading weights from its parameters. */
class Builder {
  readonly g: OnnxGraph;
  readonly c: Transformer["config"];
  readonly d: number;
  readonly dh: number;
  readonly #weights = new Map<string, string>();

  constructor(readonly model: Transformer, name: string, readonly opts: GraphOptions) {
    this.g = new OnnxGraph(name);
    this.c = model.config;
    this.d = this.c.dModel;
    this.dh = this.d / this.c.heads;
  }

  // A parameter's values, copied out of wasm memory once per graph.
  readonly #values = new Map<string, Float32Array>();
  param(p: ParamSpec): Float32Array {
    let v = this.#values.get(p.name);
    if (!v) this.#values.set(p.name, v = this.model.core.params.get(p).toArray());
    return v;
  }

  /** A vector parameter as an initializer (once per name). */
  vector(p: ParamSpec): string {
    const name = p.name;
    let v = this.#weights.get(name);
    if (!v) {
      const data = this.param(p);
      v = this.g.initializer(name, { dtype: "float32", dims: [data.length], data });
      this.#weights.set(name, v);
    }
    return v;
  }

  /** Rows [r0, r1) of matrix `name` ([out, in]) transposed to [in, out], as MatMul's B. */
  #transposed(p: ParamSpec, r0: number, r1: number): string {
    const key = `${p.name}[${r0}:${r1}]`;
    const cached = this.#weights.get(key);
    if (cached) return cached;
    const cols = p.shape[1];
    const all = this.param(p);
    const rows = r1 - r0;
    const w = all.subarray(r0 * cols, r1 * cols);
    let out: string;
    if (this.opts.int8) {
      const { q, scale } = quantizeRows(w, rows);
      const qt = new Int8Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < cols; k++) qt[k * rows + r] = q[r * cols + k];
      }
      const g = this.g;
      out = g.op("DequantizeLinear", [
        g.initializer(`${key}.qT`, { dtype: "int8", dims: [cols, rows], data: qt }),
        g.initializer(`${key}.scale`, { dtype: "float32", dims: [rows], data: scale }),
        g.initializer(`${key}.zero`, { dtype: "int8", dims: [rows], data: new Int8Array(rows) }),
      ], { axis: 1 });
    } else {
      const t = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < cols; k++) t[k * rows + r] = w[r * cols + k];
      }
      out = this.g.initializer(`${key}.T`, { dtype: "float32", dims: [cols, rows], data: t });
    }
    this.#weights.set(key, out);
    return out;
  }

  /** x·W[r0:r1]ᵀ + b[r0:r1] for x [..., in]. */
  linear(x: string, w: ParamSpec, b: ParamSpec | undefined, r0?: number, r1?: number): string {
    const rows = w.shape[0];
    const [a, z] = [r0 ?? 0, r1 ?? rows];
    let y = this.g.op("MatMul", [x, this.#transposed(w, a, z)]);
    if (b) {
      const key = `${b.name}[${a}:${z}]`;
      let bias = this.#weights.get(key);
      if (!bias) {
        const data = this.param(b).slice(a, z);
        bias = this.g.initializer(key, { dtype: "float32", dims: [z - a], data });
        this.#weights.set(key, bias);
      }
      y = this.g.op("Add", [y, bias]);
    }
    return y;
  }

  /** An embedding table [V, d]: its rows for `ids` (scaled) and, for the output, the table. */
  table(p: ParamSpec): { rows: (ids: string) => string; matrix: () => string } {
    const g = this.g, name = p.name;
    const [V, d] = p.shape;
    if (!this.opts.int8) {
      const t = this.#weights.get(name) ??
        g.initializer(name, { dtype: "float32", dims: [V, d], data: this.param(p) });
      this.#weights.set(name, t);
      return { rows: (ids) => g.op("Gather", [t, ids]), matrix: () => t };
    }
    let q = this.#weights.get(`${name}.q`), s = this.#weights.get(`${name}.scale`);
    if (!q || !s) {
      const qs = quantizeRows(this.param(p), V);
      q = g.initializer(`${name}.q`, { dtype: "int8", dims: [V, d], data: qs.q });
      s = g.initializer(`${name}.scale`, { dtype: "float32", dims: [V], data: qs.scale });
      this.#weights.set(`${name}.q`, q);
      this.#weights.set(`${name}.scale`, s);
    }
    const [qq, ss] = [q, s];
    return {
      rows: (ids) =>
        g.op("Mul", [
          g.op("Cast", [g.op("Gather", [qq, ids])], { to: 1 }),
          g.op("Unsqueeze", [g.op("Gather", [ss, ids]), g.ints([-1])]),
        ]),
      matrix: () =>
        g.op("DequantizeLinear", [
          qq,
          ss,
          g.initializer(`${name}.zero`, {
            dtype: "int8",
            dims: [V],
            data: new Int8Array(V),
          }),
        ], { axis: 0 }),
    };
  }

  /** Element `i` of a 1-D int64 tensor as a scalar. */
  scalar(v: string, i: number): string {
    return this.g.op("Gather", [v, this.g.ints([i], [])], { axis: 0 });
  }

  /** Sinusoidal positions [T, d] for the int64 positions `pos` [T] (Vaswani et al. 2017, §3.5). */
  positions(pos: string): string {
    const g = this.g, d = this.d, half = Math.ceil(d / 2);
    const inv = Array.from({ length: half }, (_, i) => 1 / Math.pow(10000, (2 * i) / d));
    const angles = g.op("Mul", [
      g.op("Unsqueeze", [g.op("Cast", [pos], { to: 1 }), g.ints([1])]),
      g.floats(inv, [1, half]),
    ]);
    const pair = g.op("Concat", [
      g.op("Unsqueeze", [g.op("Sin", [angles]), g.ints([2])]),
      g.op("Unsqueeze", [g.op("Cos", [angles]), g.ints([2])]),
    ], { axis: 2 });
    const pe = g.op("Reshape", [pair, g.ints([0, -1])]);
    return d % 2 ? g.op("Slice", [pe, g.ints([0]), g.ints([d]), g.ints([1])]) : pe;
  }

  /** Token ids (already the model's own) embedded, scaled and positioned: [B, T, d]. */
  embed(table: ParamSpec, ids: string, pos: string): string {
    const g = this.g;
    let x = this.table(table).rows(ids);
    if (this.c.scaleEmbedding) x = g.op("Mul", [x, g.floats([Math.sqrt(this.d)], [])]);
    return g.op("Add", [x, this.positions(pos)]);
  }

  /** [B, T, d] → [B, H, T, dh]. */
  heads(x: string): string {
    const g = this.g;
    return g.op("Transpose", [g.op("Reshape", [x, g.ints([0, 0, this.c.heads, this.dh])])], {
      perm: [0, 2, 1, 3],
    });
  }

  /** An additive key mask [B, 1, 1, S] from a 0/1 attention mask [B, S]. */
  keyMask(mask: string): string {
    const g = this.g;
    const hidden = g.op("Sub", [g.floats([1], []), g.op("Cast", [mask], { to: 1 })]);
    return g.op("Unsqueeze", [g.op("Mul", [hidden, g.floats([MASKED], [])]), g.ints([1, 2])]);
  }

  /** softmax(q·kᵀ·scale + mask)·v for q [B, T, d] and k, v [B, H, S, dh]; out [B, T, d]. */
  attend(a: AttentionParams, q: string, k: string, v: string, masks: string[]): string {
    const g = this.g, c = this.c;
    let s = g.op("MatMul", [this.heads(q), g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]);
    if (c.scaleAttention) s = g.op("Mul", [s, g.floats([1 / Math.sqrt(this.dh)], [])]);
    for (const m of masks) s = g.op("Add", [s, m]);
    const p = g.op("Softmax", [s], { axis: -1 });
    const ctx = g.op("Reshape", [
      g.op("Transpose", [g.op("MatMul", [p, v])], { perm: [0, 2, 1, 3] }),
      g.ints([0, 0, this.d]),
    ]);
    return a.outProj ? this.linear(ctx, a.outProj.weight, a.outProj.bias) : ctx;
  }

  /** Rows [r0, r1) of an attention's packed in-projection applied to x. */
  project(a: AttentionParams, x: string, r0: number, r1: number): string {
    return this.linear(x, a.inProj.weight, a.inProj.bias, r0, r1);
  }

  norm(n: NormParams, x: string): string {
    return this.g.op("LayerNormalization", [x, this.vector(n.weight!), this.vector(n.bias!)], {
      axis: -1,
      epsilon: { float: this.c.normEps },
    });
  }

  /** A residual sublayer with the configured norm placement (as layers.ts `residual`). */
  residual(n: NormParams, x: string, f: (h: string) => string): string {
    const g = this.g;
    if (this.c.norm === "pre") return g.op("Add", [x, f(this.norm(n, x))]);
    const r = g.op("Add", [x, f(x)]);
    return this.c.norm === "none" ? r : this.norm(n, r);
  }

  feedForward(ff: FeedForwardParams, x: string): string {
    const g = this.g;
    const h = this.linear(x, ff.linear1.weight, ff.linear1.bias);
    // Exact gelu: x·Φ(x) = x · (1 + erf(x/√2)) / 2, as PyTorch's default.
    const a = this.c.activation === "relu" ? g.op("Relu", [h]) : g.op("Mul", [
      h,
      g.op("Mul", [
        g.floats([0.5], []),
        g.op("Add", [
          g.floats([1], []),
          g.op("Erf", [g.op("Div", [h, g.floats([Math.SQRT2], [])])]),
        ]),
      ]),
    ]);
    return this.linear(a, ff.linear2.weight, ff.linear2.bias);
  }

  finalNorm(n: NormParams | undefined, x: string): string {
    return n ? this.norm(n, x) : x;
  }

  /** Maps ids through a lookup table (ids of the tokenizer to one side's). */
  remap(ids: string, table: number[] | undefined): string {
    if (!table) return ids;
    return this.g.op("Gather", [this.g.ints(table), ids]);
  }
}

function sideMap(
  space: IdSpace,
  side: "toSource" | "toTarget",
  fallback: number,
): number[] | undefined {
  return space.shared ? undefined : space[side].map((id) => (id >= 0 ? id : fallback));
}

/**
 * The encoder: `input_ids`, `attention_mask` [batch, seq] (int64) → `last_hidden_state`
 * [batch, seq, dModel].
 */
export function encoderGraph(model: Transformer, opts: GraphOptions = {}): Uint8Array {
  const b = new Builder(model, "encoder", opts);
  const g = b.g, c = model.config;
  const space = idSpaceOf(model);
  const ids = g.input("input_ids", "int64", ["batch_size", "encoder_sequence_length"]);
  const mask = g.input("attention_mask", "int64", ["batch_size", "encoder_sequence_length"]);
  // A token the source side lacks (only the StatQuest model's separate vocabularies have any) reads as
  // the source's <unk>, or its end-of-sentence token.
  const own = b.remap(ids, sideMap(space, "toSource", model.srcVocab.unk ?? model.srcVocab.eos));
  const len = b.scalar(g.op("Shape", [ids]), 1);
  const pos = g.op("Range", [g.ints([0], []), len, g.ints([1], [])]);
  const stack = model.core.handles.encoder;
  let x = b.embed(stack.embedding, own, pos);
  const keyMask = b.keyMask(mask);
  for (const layer of stack.layers) {
    const a = layer.selfAttn, ff = layer.feedForward;
    x = b.residual(layer.norm1, x, (h) => {
      const k = b.heads(b.project(a, h, b.d, 2 * b.d));
      const v = b.heads(b.project(a, h, 2 * b.d, 3 * b.d));
      return b.attend(a, b.project(a, h, 0, b.d), k, v, [keyMask]);
    });
    if (ff) x = b.residual(layer.norm2, x, (h) => b.feedForward(ff, h));
  }
  x = b.finalNorm(stack.finalNorm, x);
  g.output(x, "last_hidden_state", "float32", ["batch_size", "encoder_sequence_length", c.dModel]);
  return g.toModel({ doc: "encoder of a @vamos/transformer model" });
}

/** The caches a decoder layer reads (`past_key_values.*`) and writes (`present.*`). */
interface LayerCaches {
  past: Record<"decoder.key" | "decoder.value" | "encoder.key" | "encoder.value", string>;
  presents: [string, string][];
}

// The decoder graph's cache inputs, per layer.
function pastInputs(b: Builder): LayerCaches["past"][] {
  const g = b.g, c = b.c;
  return Array.from({ length: c.decoderLayers }, (_, i) => {
    const input = (side: "decoder" | "encoder", kv: "key" | "value") =>
      g.input(`past_key_values.${i}.${side}.${kv}`, "float32", [
        "batch_size",
        c.heads,
        side === "decoder" ? "past_decoder_sequence_length" : "encoder_sequence_length_out",
        b.dh,
      ]);
    return {
      "decoder.key": input("decoder", "key"),
      "decoder.value": input("decoder", "value"),
      "encoder.key": input("encoder", "key"),
      "encoder.value": input("encoder", "value"),
    };
  });
}

/**
 * One decoder layer over T new positions: its self-attention keys and values appended to
 * the cached ones, the encoder's computed from `fresh` (no rows once cached) and appended;
 * the four go to `presents` as `present.<i>.*`.
 */
function decoderLayerGraph(
  b: Builder,
  layer: DecoderLayerParams,
  i: number,
  x: string,
  io: LayerCaches,
  fresh: string,
  masks: { causal: string; cross: string },
): string {
  const g = b.g, d = b.d, past = io.past;
  const cached = (side: "decoder" | "encoder", a: AttentionParams, from: string) => {
    const k = g.op("Concat", [past[`${side}.key`], b.heads(b.project(a, from, d, 2 * d))], {
      axis: 2,
    });
    const v = g.op("Concat", [past[`${side}.value`], b.heads(b.project(a, from, 2 * d, 3 * d))], {
      axis: 2,
    });
    io.presents.push([k, `present.${i}.${side}.key`], [v, `present.${i}.${side}.value`]);
    return [k, v];
  };
  x = b.residual(layer.norm1, x, (h) => {
    const a = layer.selfAttn, [k, v] = cached("decoder", a, h);
    return b.attend(a, b.project(a, h, 0, d), k, v, [masks.causal]);
  });
  x = b.residual(layer.norm2, x, (h) => {
    const a = layer.crossAttn, [k, v] = cached("encoder", a, fresh);
    return b.attend(a, b.project(a, h, 0, d), k, v, [masks.cross]);
  });
  const ff = layer.feedForward;
  return ff ? b.residual(layer.norm3, x, (h) => b.feedForward(ff, h)) : x;
}

// The output layer as Gemm over its matrix (the embedding table when tied): logits
// [B, T, tokens of the id space], the tokens only the source has at -∞.
function logitsGraph(b: Builder, x: string, space: IdSpace): string {
  const g = b.g, c = b.c, out = b.model.core.handles.generator;
  const matrix = b.table(out.weight).matrix();
  const lead = g.op("Slice", [g.op("Shape", [x]), g.ints([0]), g.ints([2]), g.ints([0])]);
  const flat = g.op("Gemm", [
    g.op("Reshape", [x, g.ints([-1, b.d])]),
    matrix,
    b.vector(out.bias),
  ], { transB: 1 });
  const logits = g.op("Reshape", [flat, g.op("Concat", [lead, g.ints([c.tgtVocab])], { axis: 0 })]);
  if (space.shared) return logits;
  const extra = space.tokens.length - c.tgtVocab;
  const fill = g.op("Expand", [
    g.floats([MASKED], []),
    g.op("Concat", [lead, g.ints([extra])], { axis: 0 }),
  ]);
  return g.op("Concat", [logits, fill], { axis: 2 });
}

/**
 * The decoder with caches, for every step: `input_ids` [batch, T], `encoder_attention_mask`,
 * `encoder_hidden_states` and `past_key_values.{i}.{decoder|encoder}.{key|value}`
 * [batch, heads, P, dHead] (P = 0 on the first step) → `logits` [batch, T, vocab] and
 * `present.*`. The encoder's keys and values are computed only while their cache is
 * empty (the memory is sliced to no rows otherwise), so later steps cost no more.
 */
export function decoderGraph(model: Transformer, opts: GraphOptions = {}): Uint8Array {
  const b = new Builder(model, "decoder", opts);
  const g = b.g, c = model.config, d = b.d;
  const space = idSpaceOf(model);
  const ids = g.input("input_ids", "int64", ["batch_size", "decoder_sequence_length"]);
  const encMask = g.input("encoder_attention_mask", "int64", [
    "batch_size",
    "encoder_sequence_length",
  ]);
  const memory = g.input("encoder_hidden_states", "float32", [
    "batch_size",
    "encoder_sequence_length",
    d,
  ]);
  const past = pastInputs(b);
  const own = b.remap(ids, sideMap(space, "toTarget", model.tgtVocab.eos));
  // Positions P … P+T-1, P the cached steps; a query at P+i sees keys 0 … P+i.
  const P = b.scalar(g.op("Shape", [past[0]["decoder.key"]]), 2);
  const T = b.scalar(g.op("Shape", [ids]), 1);
  const end = g.op("Add", [P, T]);
  const qPos = g.op("Range", [P, end, g.ints([1], [])]);
  const kPos = g.op("Range", [g.ints([0], []), end, g.ints([1], [])]);
  const causal = g.op("Where", [
    g.op("Greater", [kPos, g.op("Unsqueeze", [qPos, g.ints([1])])]),
    g.floats([MASKED], []),
    g.floats([0], []),
  ]);
  const cross = b.keyMask(encMask);
  // Rows of the memory to project: all of them while the encoder cache is empty, else none.
  const S = b.scalar(g.op("Shape", [memory]), 1);
  const cachedLen = b.scalar(g.op("Shape", [past[0]["encoder.key"]]), 2);
  const take = g.op("Mul", [
    S,
    g.op("Cast", [g.op("Equal", [cachedLen, g.ints([0], [])])], { to: 7 }),
  ]);
  const fresh = g.op("Slice", [
    memory,
    g.ints([0]),
    g.op("Unsqueeze", [take, g.ints([0])]),
    g.ints([1]),
  ]);
  const stack = model.core.handles.decoder;
  let x = b.embed(stack.embedding, own, qPos);
  const presents: [string, string][] = [];
  stack.layers.forEach((layer, i) => {
    x = decoderLayerGraph(b, layer, i, x, { past: past[i], presents }, fresh, { causal, cross });
  });
  x = b.finalNorm(stack.finalNorm, x);
  g.output(logitsGraph(b, x, space), "logits", "float32", [
    "batch_size",
    "decoder_sequence_length",
    space.tokens.length,
  ]);
  for (const [value, name] of presents) {
    const len = name.includes("decoder")
      ? "present_sequence_length"
      : "encoder_sequence_length_out";
    g.output(value, name, "float32", ["batch_size", c.heads, len, b.dh]);
  }
  return g.toModel({ doc: "decoder (with caches) of a @vamos/transformer model" });
}
