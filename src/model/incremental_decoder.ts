/**
 * Decoding with caches: the source is encoded once, each decoder layer's
 * cross-attention keys and values are computed once, and each step runs the decoder
 * on one new token per hypothesis, appending its self-attention keys and values to a
 * cache instead of recomputing the prefix. {@linkcode IncrementalDecoder} is that
 * machinery; greedy decoding here and beam search (`beam.ts`) drive it.
 * @module
 */
import type { TransformerCore } from "./transformer_core.ts";
import { IntBuffer, type Tensor } from "../runtime/runtime.ts";
import {
  attentionScale,
  embeddingScale,
  inProjection,
  linear,
  noBackward,
  outProjection,
  Pass,
} from "./layers.ts";
import { type AttentionStep, decoderLayer, finalNorm } from "./encoder_decoder_layers.ts";
import {
  attentionDecodeInto,
  checkDecodeKeys,
  type CheckedKeys,
} from "../kernels/attention_decode.ts";
import { embeddingInto } from "../kernels/embedding.ts";
import { topKInto } from "../kernels/top_k.ts";
import { type Int8Product, Int8Weights, matmulInt8ListInto } from "../kernels/matmul_int8.ts";
import { VamosError } from "../errors.ts";
import type { Shortlist } from "./shortlist.ts";
import type { AttentionParams } from "./config.ts";

/**
 * The decoder of a model run one token at a time for a set of rows (hypotheses), each
 * decoding one source sentence: at first one row per source, then whatever
 * {@linkcode IncrementalDecoder.select} makes of them (beam search fans a sentence out to
 * its beams; finished sentences are dropped, so a batch shrinks as it goes). Everything it
 * allocates is freed by {@linkcode dispose}.
 */
export class IncrementalDecoder {
  /** Most tokens a hypothesis can get (the cache's length). */
  readonly steps: number;
  /** Most rows {@linkcode select} may make. */
  readonly capacity: number;
  readonly #core: TransformerCore;
  readonly #mark: number;
  readonly #pass: Pass;
  // Per decoder layer: the cross-attention K|V of each source (srcLen rows of 2·dModel
  // each), and the self-attention cache, a block of `steps` rows of 2·dModel per row, where
  // row r writes its step t at row r·steps + t. Rows find their keys by index (see
  // attentionDecodeInto): a row's history holds the cache row of each of its steps, and
  // beam search reorders hypotheses by copying histories, never keys and values.
  readonly #cross: Tensor[] = [];
  readonly #cache: Tensor[] = [];
  readonly #history: IntBuffer;
  readonly #noBase: IntBuffer;
  readonly #crossBase: IntBuffer;
  readonly #crossKeys: IntBuffer;
  readonly #srcLens: IntBuffer;
  readonly #srcLen: number;
  readonly #stepLens: IntBuffer;
  readonly #ids: IntBuffer;
  #rows: number;
  /** The source sentence each row decodes. */
  #source: number[];
  #stepMark = -1;
  #logits?: Tensor;
  // The output layer: the whole vocabulary, or the batch's shortlist (its rows of the
  // weights gathered once, and per source the columns outside its own list).
  readonly #out: OutputLayer;

  /**
   * Encodes `src` (id sequences) and prepares caches for `steps` tokens and up to
   * `capacity` rows (default: one per source).
   */
  constructor(
    core: TransformerCore,
    src: readonly (readonly number[])[],
    steps: number,
    capacity = src.length,
    shortlist?: Shortlist,
  ) {
    const c = core.config, rt = core.rt, params = core.params, d = c.dModel;
    this.#core = core;
    this.steps = steps;
    this.#mark = rt.mark();
    try {
      this.#pass = new Pass(rt, params, c, false, 0);
      const s = core.pad(src, c.srcVocab, "source");
      const B = s.shape.batch, S = s.shape.len;
      this.capacity = Math.max(B, capacity);
      this.#rows = B;
      this.#source = Array.from({ length: B }, (_, b) => b);
      this.#srcLen = S;
      this.#srcLens = rt.ints(this.capacity);
      this.#srcLens.set(s.shape.lens.toArray());
      for (let i = 0; i < core.handles.decoder.layers.length; i++) {
        this.#cross.push(this.#pass.alloc(B * S, 2 * d));
        this.#cache.push(this.#pass.alloc(this.capacity * steps, 2 * d));
      }
      this.#history = rt.ints(this.capacity * steps);
      this.#noBase = rt.ints(this.capacity);
      this.#crossBase = rt.ints(this.capacity).set(this.#source.map((b) => b * S));
      this.#crossKeys = rt.ints(S).set(Array.from({ length: S }, (_, j) => j));
      for (const group of lengthGroups(src.map((ids) => ids.length))) this.#encode(src, group);
      this.#stepLens = rt.ints(this.capacity);
      this.#ids = rt.ints(this.capacity);
      this.#out = outputLayer(core, this.#pass, src, shortlist);
    } catch (e) {
      rt.release(this.#mark);
      throw e;
    }
  }

  // Encodes the sources `group` (of similar lengths) on their own, padded to the longest of
  // them rather than of the batch, and stores each one's cross-attention K|V at its row of
  // the batch (keys past a source's length are never read). A source's rows are computed
  // by the same operations whatever it is padded to, so its bits do not depend on the group.
  #encode(src: readonly (readonly number[])[], group: readonly number[]): void {
    const core = this.#core, rt = core.rt, pass = this.#pass, d2 = 2 * core.config.dModel;
    const mark = rt.mark();
    try {
      const s = core.pad(group.map((b) => src[b]), core.config.srcVocab, "source");
      const len = s.shape.len, S = this.#srcLen;
      const [memory] = core.encoderForward(pass, s);
      core.handles.decoder.layers.forEach((layer, i) => {
        const kv = pass.alloc(group.length * len, d2);
        inProjection(pass, layer.crossAttn, "kv", memory, kv);
        const f = rt.f32, to = this.#cross[i].ptr >>> 2, from = kv.ptr >>> 2;
        group.forEach((b, g) => {
          const at = from + g * len * d2;
          f.copyWithin(to + b * S * d2, at, at + src[b].length * d2);
        });
      });
    } finally {
      rt.release(mark);
    }
  }

  /** Rows decoded by the next {@linkcode step}. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * The target token of each column of row r's logits in {@linkcode step}: its sentence's
   * shortlist, or undefined when the columns are the whole vocabulary.
   */
  columnsOf(r: number): Int32Array | undefined {
    return this.#out.lists?.[this.#source[r]].tokens;
  }

  /** The source sentence each row decodes (a copy). */
  get sources(): number[] {
    return this.#source.slice();
  }

  /**
   * After step `t`, makes the rows `parents.length` in number, row r continuing row
   * `parents[r]`: its cached keys and values of steps 0..t become that row's (beam
   * search keeps the best continuations; greedy decoding keeps the unfinished rows).
   * Only rows whose parent is another row are copied.
   */
  select(parents: readonly number[], t: number): void {
    const R = this.#rows, n = parents.length;
    if (n > this.capacity || parents.some((p) => !Number.isInteger(p) || p < 0 || p >= R)) {
      throw new RangeError(`select: ${n} rows of parents in 0..${R - 1}, at most ${this.capacity}`);
    }
    const i32 = this.#core.rt.i32, steps = this.steps;
    // Every parent's history is read before any row's is written: a parent may be a row
    // that gets another history.
    const moved = parents.map((p, r) => (p !== r ? r : -1)).filter((r) => r >= 0);
    const at = this.#history.ptr >>> 2, copies = new Int32Array(moved.length * (t + 1));
    moved.forEach((r, i) => {
      const from = at + parents[r] * steps;
      copies.set(i32.subarray(from, from + t + 1), i * (t + 1));
    });
    moved.forEach((r, i) =>
      i32.set(copies.subarray(i * (t + 1), (i + 1) * (t + 1)), at + r * steps)
    );
    for (const ints of [this.#crossBase, this.#srcLens]) {
      const values = ints.toArray();
      ints.set(parents.map((p) => values[p]));
    }
    this.#source = parents.map((p) => this.#source[p]);
    this.#rows = n;
  }

  /**
   * Runs step `t` (0-based) with `ids[r]` as row r's input token; returns the logits
   * [rows, columns] (the vocabulary, or the shortlist's {@linkcode columns}, -∞ where a
   * row's own sentence may not go), a view valid until the next call.
   */
  step(ids: readonly number[], t: number): Float32Array {
    const core = this.#core, c = core.config, rt = core.rt, params = core.params;
    const d = c.dModel, R = this.#rows, pass = this.#pass, steps = this.steps;
    if (ids.length !== R) throw new RangeError(`step: ${ids.length} ids for ${R} rows`);
    if (this.#stepMark >= 0) rt.release(this.#stepMark);
    this.#stepMark = rt.mark();
    this.#ids.set(ids);
    const lensAt = this.#stepLens.ptr >>> 2;
    rt.i32.fill(t + 1, lensAt, lensAt + R);
    const idsNow = new IntBuffer(rt, this.#ids.ptr, R);
    const stepLens = new IntBuffer(rt, this.#stepLens.ptr, R);
    const srcLens = new IntBuffer(rt, this.#srcLens.ptr, R);
    // One query per row against its keys and values, then the output projection.
    const attend = (a: AttentionParams, q: Tensor, keys: CheckedKeys) => {
      const ctx = pass.alloc(R, d);
      attentionDecodeInto(q, keys.keys, ctx, c.heads, attentionScale(c), keys);
      return outProjection(pass, a, ctx);
    };
    // This step's cache row of each row joins its history.
    const history = this.#history.ptr >>> 2, i32 = rt.i32;
    for (let r = 0; r < R; r++) i32[history + r * steps + t] = r * steps + t;
    // Every layer reads its cache through the same indices, and its source's keys through
    // the same block: checked once for all layers. (Each layer's cache and cross K|V have
    // the same rows, so the check of the first layer's holds for all.)
    const selfKeys = checkDecodeKeys({
      kv: this.#cache[0],
      base: this.#noBase,
      table: this.#history,
      stride: steps,
      keyLens: stepLens,
    }, R);
    const crossKeys = checkDecodeKeys({
      kv: this.#cross[0],
      base: this.#crossBase,
      table: this.#crossKeys,
      stride: 0,
      keyLens: srcLens,
    }, R);
    const onLayer = (checked: CheckedKeys, kv: Tensor): CheckedKeys => ({
      ...checked,
      keys: { ...checked.keys, kv },
    });
    // Self-attention: this step's keys and values join the cache (row r·steps + t).
    const selfAttention = (i: number): AttentionStep => (h, a) => {
      const qkv = pass.alloc(R, 3 * d);
      inProjection(pass, a, "qkv", h, qkv);
      const f = rt.f32, cache = this.#cache[i];
      for (let r = 0; r < R; r++) {
        const srcAt = (qkv.ptr >>> 2) + r * 3 * d + d;
        const dstAt = (cache.ptr >>> 2) + (r * steps + t) * 2 * d;
        f.copyWithin(dstAt, srcAt, srcAt + 2 * d);
      }
      return [attend(a, qkv.colSlice(0, d), onLayer(selfKeys, cache)), noBackward];
    };
    // Encoder-decoder attention: against the source's keys and values, computed once.
    const crossAttention = (i: number): AttentionStep => (h, a) => {
      const q = pass.alloc(R, d);
      inProjection(pass, a, "q", h, q);
      return [attend(a, q, onLayer(crossKeys, this.#cross[i])), noBackward];
    };
    const stack = core.handles.decoder;
    let x = pass.alloc(R, d);
    embeddingInto(params.get(stack.embedding), idsNow, x, {
      scale: embeddingScale(c),
      pe: core.pe,
      seqLen: 1,
      posOffset: t,
    });
    stack.layers.forEach((layer, i) => {
      [x] = decoderLayer(pass, layer, x, selfAttention(i), crossAttention(i));
    });
    [x] = finalNorm(pass, stack.finalNorm, x);
    const logits = this.#outputLayer(x);
    this.#logits = logits;
    return logits.view();
  }

  // The logits of the rows' decoder outputs x: over the vocabulary, or each sentence's rows
  // (beams are adjacent) against its own shortlist's weights, -∞ past a shorter list.
  #outputLayer(x: Tensor): Tensor {
    const pass = this.#pass, rt = this.#core.rt, R = this.#rows;
    const out = this.#out, lists = out.lists;
    const logits = pass.alloc(R, out.columns);
    if (!lists) linear(pass, x, out.weight!, out.bias!, logits);
    else {
      // The 8-bit products in one call, which the threads share by sentences.
      const products: Int8Product[] = [];
      for (const [b, r0, r1] of sentenceRuns(this.#source)) {
        const list = lists[b], n = list.tokens.length;
        const h = x.rowSlice(r0, r1);
        if (list.int8) {
          const c = logits.rowSlice(r0, r1).colSlice(0, n);
          products.push({ a: h, w: list.int8, c, bias: list.bias });
        } else {
          // The f32 product's summation order may follow its output's layout: computed
          // dense, then copied, so that a sentence gets the same bits in any batch.
          const y = pass.alloc(r1 - r0, n);
          linear(pass, h, list.weight!, list.bias, y);
          const f = rt.f32;
          for (let r = r0; r < r1; r++) {
            const from = (y.ptr >>> 2) + (r - r0) * n;
            f.copyWithin((logits.ptr >>> 2) + r * out.columns, from, from + n);
          }
        }
        if (n < out.columns) {
          const f = rt.f32;
          for (let r = r0; r < r1; r++) {
            const row = (logits.ptr >>> 2) + r * out.columns;
            f.fill(-Infinity, row + n, row + out.columns);
          }
        }
      }
      matmulInt8ListInto(products);
    }
    return logits;
  }

  /**
   * The last step's `k` best tokens per row (row r's at `[r·k, r·k + k)`, best first, the
   * lower token first on ties; -1 past the row's choices), their logits, and with
   * `withLse` each row's log Σ exp of its logits: greedy decoding's and beam search's
   * choice, in one kernel call over the batch.
   */
  top(
    k: number,
    withLse: boolean,
  ): { tokens: Int32Array; logits: Float32Array; lse?: Float32Array } {
    const logits = this.#logits;
    if (!logits) throw new RangeError("top: no step has run");
    const rt = this.#core.rt, mark = rt.mark();
    try {
      const idx = rt.ints(logits.rows * k);
      const lse = withLse ? rt.scratch(logits.rows, 1) : undefined;
      topKInto(logits, k, idx, lse);
      const tokens = idx.toArray(), values = new Float32Array(tokens.length);
      const view = logits.view(), n = logits.cols, lists = this.#out.lists;
      for (let q = 0; q < tokens.length; q++) {
        const r = Math.floor(q / k), col = tokens[q];
        if (col < 0) continue;
        values[q] = view[r * n + col];
        if (!lists) continue;
        const own = lists[this.#source[r]].tokens;
        tokens[q] = col < own.length ? own[col] : -1;
      }
      return { tokens, logits: values, lse: lse?.toArray() };
    } finally {
      rt.release(mark);
    }
  }

  /** Frees everything this decoder allocated. */
  dispose(): void {
    this.#core.rt.release(this.#mark);
  }
}

// What the output layer computes with: the whole vocabulary (the model's own weights), or
// per source sentence its shortlist's tokens with their weight rows and biases gathered.
interface OutputLayer {
  /** Columns of the logits: the vocabulary, or the longest shortlist. */
  columns: number;
  weight?: Tensor;
  bias?: Tensor;
  lists?: ShortlistWeights[];
}

interface ShortlistWeights {
  tokens: Int32Array;
  int8?: Int8Weights;
  weight?: Tensor;
  bias: Tensor;
}

function outputLayer(
  core: TransformerCore,
  pass: Pass,
  src: readonly (readonly number[])[],
  shortlist?: Shortlist,
): OutputLayer {
  const params = core.params, rt = core.rt;
  const g = core.handles.generator;
  const weight = params.get(g.weight), bias = params.get(g.bias);
  if (!shortlist) return { columns: weight.rows, weight, bias };
  const q = pass.int8(weight), d = weight.cols;
  const lists = src.map((s): ShortlistWeights => {
    const tokens = shortlist.tokensFor(s), n = tokens.length;
    // Everything is allocated before the memory is viewed: an allocation may grow it.
    const b = pass.alloc(1, n);
    const ptr = q ? rt.allocBytes(n * q.stride, false) : 0;
    const scales = q ? rt.allocBytes(n * 4, false) : 0;
    const sums = q ? rt.allocBytes(n * 4, false) : 0;
    const w = q ? undefined : pass.alloc(n, d);
    const f = rt.f32, u8 = rt.u8;
    for (let j = 0; j < n; j++) f[(b.ptr >>> 2) + j] = f[(bias.ptr >>> 2) + tokens[j]];
    if (q) {
      for (let j = 0; j < n; j++) {
        const from = q.ptr + tokens[j] * q.stride, t = 4 * tokens[j];
        u8.copyWithin(ptr + j * q.stride, from, from + q.stride);
        u8.copyWithin(scales + 4 * j, q.scales + t, q.scales + t + 4);
        u8.copyWithin(sums + 4 * j, q.sums + t, q.sums + t + 4);
      }
      return { tokens, int8: new Int8Weights(rt, ptr, scales, sums, n, d), bias: b };
    }
    for (let j = 0; j < n; j++) {
      const from = (weight.ptr >>> 2) + tokens[j] * weight.ld;
      f.copyWithin((w!.ptr >>> 2) + j * d, from, from + d);
    }
    return { tokens, weight: w, bias: b };
  });
  return { columns: Math.max(...lists.map((l) => l.tokens.length)), lists };
}

/**
 * The sources of lengths `lengths` in groups to encode together: in order of length, a
 * group grows while padding its sources to its longest adds at most an eighth to their
 * tokens, so a batch of mixed lengths costs the encoder little more than its tokens.
 * (One group per length would pad nothing but multiply the kernel calls.)
 */
export function lengthGroups(lengths: readonly number[]): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const groups: number[][] = [];
  let group: number[] = [], tokens = 0;
  for (const i of order) {
    const n = lengths[i];
    if (group.length && (group.length + 1) * n * 8 > (tokens + n) * 9) {
      groups.push(group);
      group = [];
      tokens = 0;
    }
    group.push(i);
    tokens += n;
  }
  if (group.length) groups.push(group);
  return groups;
}

/**
 * Each sentence's run of adjacent rows: `[sentence, r0, r1)` for rows r0..r1-1 (a
 * sentence's beams are adjacent).
 */
export function* sentenceRuns(sentence: readonly number[]): Generator<[number, number, number]> {
  for (let r0 = 0; r0 < sentence.length;) {
    let r1 = r0;
    while (r1 < sentence.length && sentence[r1] === sentence[r0]) r1++;
    yield [sentence[r0], r0, r1];
    r0 = r1;
  }
}

/** Tokens a translation may have (EOS included): `maxTokens`, capped by the model's maxLen. */
export function decodingSteps(core: TransformerCore, maxTokens?: number): number {
  const steps = Math.min(maxTokens ?? core.config.maxLen - 1, core.config.maxLen - 1);
  if (!(steps >= 1)) throw new VamosError("maxTokens must be at least 1");
  return steps;
}

/** Options of {@linkcode greedyDecode}. */
export interface GreedyOptions {
  /** The first decoder input (EOS in the textbook, SOS otherwise). */
  start: number;
  /** Stop a sentence when it produces this token. */
  eos: number;
  /** Most tokens to produce per sentence (EOS included); default: what maxLen allows. */
  maxTokens?: number;
  /**
   * Receives each step's logits [rows, tgtVocab] (a view valid during the call) and the
   * sentence each row belongs to: finished sentences are no longer decoded. With a
   * shortlist a row's columns are its sentence's tokens, `columnsOf(row)`.
   */
  onStep?: (
    step: number,
    logits: Float32Array,
    sentences: readonly number[],
    columnsOf: (row: number) => Int32Array | undefined,
  ) => void;
  /** Decode over each sentence's shortlist instead of the whole vocabulary. */
  shortlist?: Shortlist;
}

/**
 * Greedy translations of `src` (id sequences); each result excludes start and EOS. A
 * sentence's row leaves the batch when it ends, so the batch shrinks as it goes.
 */
export function greedyDecode(
  core: TransformerCore,
  src: readonly (readonly number[])[],
  opts: GreedyOptions,
): number[][] {
  const dec = new IncrementalDecoder(
    core,
    src,
    decodingSteps(core, opts.maxTokens),
    src.length,
    opts.shortlist,
  );
  try {
    const out: number[][] = src.map(() => []);
    let ids: number[] = new Array(dec.rows).fill(opts.start);
    let sentence = dec.sources;
    for (let t = 0; t < dec.steps && ids.length > 0; t++) {
      const lv = dec.step(ids, t);
      opts.onStep?.(t, lv, sentence, (r) => dec.columnsOf(r));
      const { tokens } = dec.top(1, false);
      const keep: number[] = [], next: number[] = [];
      for (let r = 0; r < ids.length; r++) {
        const best = Math.max(0, tokens[r]); // -1: a row of NaN
        if (best === opts.eos) continue;
        out[sentence[r]].push(best);
        keep.push(r);
        next.push(best);
      }
      if (keep.length < ids.length && keep.length > 0 && t + 1 < dec.steps) {
        dec.select(keep, t);
        sentence = keep.map((r) => sentence[r]);
      }
      ids = next;
    }
    return out;
  } finally {
    dec.dispose();
  }
}
