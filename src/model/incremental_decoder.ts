/**
 * Decoding with caches: the source is encoded once, each decoder layer's
 * cross-attention keys and values are computed once, and each step runs the decoder
 * on one new token per hypothesis, appending its self-attention keys and values to a
 * cache instead of recomputing the prefix. {@linkcode IncrementalDecoder} is that
 * machinery; greedy decoding here and beam search (`beam.ts`) drive it.
 * @module
 */
import type { TransformerCore } from "./transformer_core.ts";
import type { IntBuffer, Tensor } from "../runtime/tensor.ts";
import { type Backward, feedForward, linear, norm, Pass, residual } from "./layers.ts";
import { attentionInto } from "../kernels/attention.ts";
import { embeddingInto } from "../kernels/embedding.ts";
import { VamosError } from "../errors.ts";

const noBackward: Backward = (dy) => dy;

/**
 * The decoder of a model run one token at a time for `rows` hypotheses: `copies` rows per
 * source sentence (1 for greedy decoding, the beam width for beam search). Everything
 * it allocates is freed by {@linkcode dispose}.
 */
export class IncrementalDecoder {
  /** Hypotheses decoded together: sources × copies. */
  readonly rows: number;
  /** Most tokens a hypothesis can get (the cache's length). */
  readonly steps: number;
  readonly #core: TransformerCore;
  readonly #mark: number;
  readonly #pass: Pass;
  readonly #cross: Tensor[] = [];
  readonly #cache: Tensor[] = [];
  readonly #srcLens: IntBuffer;
  readonly #srcLen: number;
  readonly #stepLens: IntBuffer;
  readonly #ids: IntBuffer;
  #stepMark = -1;

  /** Encodes `src` (id sequences) and prepares caches for `steps` tokens. */
  constructor(
    core: TransformerCore,
    src: readonly (readonly number[])[],
    copies: number,
    steps: number,
  ) {
    const c = core.config, rt = core.rt, params = core.params, d = c.dModel;
    this.#core = core;
    this.steps = steps;
    this.#mark = rt.mark();
    try {
      this.#pass = new Pass(rt, params, c, false, 0);
      const s = core.pad(src, c.srcVocab, "source");
      const B = s.shape.batch, S = s.shape.len;
      this.rows = B * copies;
      this.#srcLen = S;
      const [memory] = core.encoderForward(this.#pass, s);
      const lens = s.shape.lens.toArray();
      this.#srcLens = rt.ints(this.rows).set(
        Array.from({ length: this.rows }, (_, r) => lens[Math.floor(r / copies)]),
      );
      // Per decoder layer: cross-attention K|V of the memory (each source's rows repeated
      // for its copies), and the self-attention cache.
      for (let i = 0; i < c.decoderLayers; i++) {
        const p = `decoder.layers.${i}.multihead_attn`;
        const w = params.get(`${p}.in_proj_weight`);
        const b = c.attentionBias ? params.get(`${p}.in_proj_bias`) : undefined;
        const kv = this.#pass.alloc(memory.rows, 2 * d);
        linear(this.#pass, memory, w.rowSlice(d, 3 * d), b?.colSlice(d, 3 * d), kv);
        if (copies === 1) this.#cross.push(kv);
        else {
          const wide = this.#pass.alloc(this.rows * S, 2 * d);
          const f = rt.f32, block = S * 2 * d;
          for (let r = 0; r < this.rows; r++) {
            const from = (kv.ptr >>> 2) + Math.floor(r / copies) * block;
            f.copyWithin((wide.ptr >>> 2) + r * block, from, from + block);
          }
          this.#cross.push(wide);
        }
        this.#cache.push(this.#pass.alloc(this.rows * steps, 2 * d));
      }
      this.#stepLens = rt.ints(this.rows);
      this.#ids = rt.ints(this.rows);
    } catch (e) {
      rt.release(this.#mark);
      throw e;
    }
  }

  /**
   * Runs step `t` (0-based) with `ids[r]` as row r's input token; returns the logits
   * [rows, tgtVocab], a view valid until the next call.
   */
  step(ids: readonly number[], t: number): Float32Array {
    const core = this.#core, c = core.config, rt = core.rt, params = core.params;
    const d = c.dModel, R = this.rows, pass = this.#pass, steps = this.steps;
    if (this.#stepMark >= 0) rt.release(this.#stepMark);
    this.#stepMark = rt.mark();
    this.#ids.set(ids);
    const lensAt = this.#stepLens.ptr >>> 2;
    rt.i32.fill(t + 1, lensAt, lensAt + R);
    const scale = c.scaleAttention ? 1 / Math.sqrt(d / c.heads) : 1;
    const attend = (
      prefix: string,
      h: Tensor,
      k: Tensor,
      v: Tensor,
      seqK: number,
      keyLens: IntBuffer,
      qIn?: Tensor,
    ): Tensor => {
      let q = qIn;
      if (!q) {
        q = pass.alloc(R, d);
        linear(
          pass,
          h,
          params.get(`${prefix}.in_proj_weight`).rowSlice(0, d),
          c.attentionBias ? params.get(`${prefix}.in_proj_bias`).colSlice(0, d) : undefined,
          q,
        );
      }
      const ctx = pass.alloc(R, d);
      const probs = pass.alloc(R * c.heads, seqK);
      attentionInto(q, k, v, ctx, probs, {
        batch: R,
        heads: c.heads,
        seqQ: 1,
        seqK,
        keyLens,
        scale,
      });
      if (!c.attentionOutProj) return ctx;
      const o = pass.alloc(R, d);
      linear(
        pass,
        ctx,
        params.get(`${prefix}.out_proj.weight`),
        c.attentionBias ? params.get(`${prefix}.out_proj.bias`) : undefined,
        o,
      );
      return o;
    };
    let x = pass.alloc(R, d);
    embeddingInto(params.get(core.tgtTable), this.#ids, x, {
      scale: c.scaleEmbedding ? Math.sqrt(d) : 1,
      pe: core.pe,
      seqLen: 1,
      posOffset: t,
    });
    for (let i = 0; i < c.decoderLayers; i++) {
      const p = `decoder.layers.${i}`;
      [x] = residual(pass, `${p}.norm1`, x, (h) => {
        const qkv = pass.alloc(R, 3 * d);
        linear(
          pass,
          h,
          params.get(`${p}.self_attn.in_proj_weight`),
          c.attentionBias ? params.get(`${p}.self_attn.in_proj_bias`) : undefined,
          qkv,
        );
        // Append this step's keys and values at row r·steps + t of the cache.
        const f = rt.f32;
        for (let r = 0; r < R; r++) {
          const srcAt = (qkv.ptr >>> 2) + r * 3 * d + d;
          const dstAt = (this.#cache[i].ptr >>> 2) + (r * steps + t) * 2 * d;
          f.copyWithin(dstAt, srcAt, srcAt + 2 * d);
        }
        const k = this.#cache[i].colSlice(0, d), v = this.#cache[i].colSlice(d, 2 * d);
        return [
          attend(`${p}.self_attn`, h, k, v, steps, this.#stepLens, qkv.colSlice(0, d)),
          noBackward,
        ];
      });
      [x] = residual(pass, `${p}.norm2`, x, (h) => {
        const kv = this.#cross[i];
        const o = attend(
          `${p}.multihead_attn`,
          h,
          kv.colSlice(0, d),
          kv.colSlice(d, 2 * d),
          this.#srcLen,
          this.#srcLens,
        );
        return [o, noBackward];
      });
      if (c.dFF) [x] = residual(pass, `${p}.norm3`, x, (h) => feedForward(pass, p, h));
    }
    if (c.norm !== "none" && c.finalNorm) [x] = norm(pass, "decoder.norm", x);
    const logits = pass.alloc(R, c.tgtVocab);
    linear(pass, x, params.get(core.generatorWeight), params.get("generator.bias"), logits);
    return logits.view();
  }

  /**
   * After step `t`, makes row r continue row `parents[r]`: its cached keys and values of
   * steps 0..t become the parent's (beam search keeps the best continuations).
   */
  reorder(parents: readonly number[], t: number): void {
    const f = this.#core.rt.f32, d2 = 2 * this.#core.config.dModel, steps = this.steps;
    const n = (t + 1) * d2; // only steps 0..t hold anything yet
    const moved = parents.map((p, r) => (p !== r ? r : -1)).filter((r) => r >= 0);
    if (moved.length === 0) return;
    const copy = new Float32Array(moved.length * n);
    for (const cache of this.#cache) {
      const base = cache.ptr >>> 2;
      // Read every parent's prefix first: a parent may itself be overwritten.
      moved.forEach((r, i) => {
        const from = base + parents[r] * steps * d2;
        copy.set(f.subarray(from, from + n), i * n);
      });
      moved.forEach((r, i) => f.set(copy.subarray(i * n, (i + 1) * n), base + r * steps * d2));
    }
  }

  /** Frees everything this decoder allocated. */
  dispose(): void {
    this.#core.rt.release(this.#mark);
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
  /** Receives each step's logits [batch, tgtVocab] (a view valid during the call). */
  onStep?: (step: number, logits: Float32Array) => void;
}

/** Greedy translations of `src` (id sequences); each result excludes start and EOS. */
export function greedyDecode(
  core: TransformerCore,
  src: readonly (readonly number[])[],
  opts: GreedyOptions,
): number[][] {
  const V = core.config.tgtVocab;
  const dec = new IncrementalDecoder(core, src, 1, decodingSteps(core, opts.maxTokens));
  try {
    const B = dec.rows;
    let ids: number[] = new Array(B).fill(opts.start);
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array(B).fill(false);
    for (let t = 0; t < dec.steps; t++) {
      const lv = dec.step(ids, t);
      opts.onStep?.(t, lv);
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let v = 1; v < V; v++) if (lv[b * V + v] > lv[b * V + best]) best = v;
        next.push(best);
        if (!done[b]) {
          if (best === opts.eos) done[b] = true;
          else out[b].push(best);
        }
      }
      ids = next;
      if (done.every(Boolean)) break;
    }
    return out;
  } finally {
    dec.dispose();
  }
}
