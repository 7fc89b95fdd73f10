/**
 * Greedy decoding with caches: the source is encoded once, each decoder layer's
 * cross-attention keys and values are computed once, and each step runs the decoder
 * on one new token per sentence, appending its self-attention keys and values to a
 * cache instead of recomputing the prefix.
 * @module
 */
import type { TransformerCore } from "./transformer.ts";
import type { Tensor } from "../runtime/tensor.ts";
import { type Backward, feedForward, linear, norm, Pass, residual } from "./layers.ts";
import { attentionInto } from "../kernels/attention.ts";
import { embeddingInto } from "../kernels/embedding.ts";
import { VamosError } from "../errors.ts";

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

const noBackward: Backward = (dy) => dy;

/** Greedy translations of `src` (id sequences); each result excludes start and EOS. */
export function greedyDecode(
  core: TransformerCore,
  src: readonly (readonly number[])[],
  opts: GreedyOptions,
): number[][] {
  const c = core.config, rt = core.rt, params = core.params;
  const d = c.dModel;
  const steps = Math.min(opts.maxTokens ?? c.maxLen - 1, c.maxLen - 1);
  if (steps < 1) throw new VamosError("maxTokens must be at least 1");
  const mark = rt.mark();
  try {
    const pass = new Pass(rt, params, c, false, 0);
    const s = core.pad(src, c.srcVocab, "source");
    const B = s.shape.batch;
    const [memory] = core.encode(pass, s);
    // Per decoder layer: cross-attention K|V of the memory, and the self-attention cache.
    const cross: Tensor[] = [], cache: Tensor[] = [];
    for (let i = 0; i < c.decoderLayers; i++) {
      const p = `decoder.layers.${i}.multihead_attn`;
      const w = params.get(`${p}.in_proj_weight`);
      const b = c.attentionBias ? params.get(`${p}.in_proj_bias`) : undefined;
      const kv = pass.alloc(memory.rows, 2 * d);
      linear(memory, w.rowSlice(d, 3 * d), b?.colSlice(d, 3 * d), kv);
      cross.push(kv);
      cache.push(pass.alloc(B * steps, 2 * d));
    }
    const stepLens = rt.ints(B);
    const ids = rt.ints(B).set(new Array(B).fill(opts.start));
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array(B).fill(false);
    const tgtTable = params.get(core.tgtTable);
    const genW = params.get(core.generatorWeight), genB = params.get("generator.bias");
    const scale = c.scaleAttention ? 1 / Math.sqrt(d / c.heads) : 1;
    const f32 = () => rt.f32;

    const attend = (
      prefix: string,
      h: Tensor,
      k: Tensor,
      v: Tensor,
      seqK: number,
      keyLens: typeof stepLens,
      qIn?: Tensor,
    ): Tensor => {
      let q = qIn;
      if (!q) {
        q = pass.alloc(B, d);
        linear(
          h,
          params.get(`${prefix}.in_proj_weight`).rowSlice(0, d),
          c.attentionBias ? params.get(`${prefix}.in_proj_bias`).colSlice(0, d) : undefined,
          q,
        );
      }
      const ctx = pass.alloc(B, d);
      const probs = pass.alloc(B * c.heads, seqK);
      attentionInto(q, k, v, ctx, probs, {
        batch: B,
        heads: c.heads,
        seqQ: 1,
        seqK,
        keyLens,
        scale,
      });
      if (!c.attentionOutProj) return ctx;
      const o = pass.alloc(B, d);
      linear(
        ctx,
        params.get(`${prefix}.out_proj.weight`),
        c.attentionBias ? params.get(`${prefix}.out_proj.bias`) : undefined,
        o,
      );
      return o;
    };

    for (let t = 0; t < steps; t++) {
      const stepMark = rt.mark();
      stepLens.set(new Array(B).fill(t + 1));
      let x = pass.alloc(B, d);
      embeddingInto(tgtTable, ids, x, {
        scale: c.scaleEmbedding ? Math.sqrt(d) : 1,
        pe: core.pe,
        seqLen: 1,
        posOffset: t,
      });
      for (let i = 0; i < c.decoderLayers; i++) {
        const p = `decoder.layers.${i}`;
        [x] = residual(pass, `${p}.norm1`, x, (h) => {
          const qkv = pass.alloc(B, 3 * d);
          linear(
            h,
            params.get(`${p}.self_attn.in_proj_weight`),
            c.attentionBias ? params.get(`${p}.self_attn.in_proj_bias`) : undefined,
            qkv,
          );
          // Append this step's keys and values at row b·steps + t of the cache.
          const f = f32();
          for (let b = 0; b < B; b++) {
            const srcAt = (qkv.ptr >>> 2) + b * 3 * d + d;
            const dstAt = (cache[i].ptr >>> 2) + (b * steps + t) * 2 * d;
            f.copyWithin(dstAt, srcAt, srcAt + 2 * d);
          }
          const k = cache[i].colSlice(0, d), v = cache[i].colSlice(d, 2 * d);
          return [
            attend(`${p}.self_attn`, h, k, v, steps, stepLens, qkv.colSlice(0, d)),
            noBackward,
          ];
        });
        [x] = residual(pass, `${p}.norm2`, x, (h) => {
          const kv = cross[i];
          const o = attend(
            `${p}.multihead_attn`,
            h,
            kv.colSlice(0, d),
            kv.colSlice(d, 2 * d),
            s.shape.len,
            s.shape.lens,
          );
          return [o, noBackward];
        });
        if (c.dFF) [x] = residual(pass, `${p}.norm3`, x, (h) => feedForward(pass, p, h));
      }
      if (c.norm !== "none" && c.finalNorm) [x] = norm(pass, "decoder.norm", x);
      const logits = pass.alloc(B, c.tgtVocab);
      linear(x, genW, genB, logits);
      const lv = logits.view();
      opts.onStep?.(t, lv);
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let v = 1; v < c.tgtVocab; v++) {
          if (lv[b * c.tgtVocab + v] > lv[b * c.tgtVocab + best]) best = v;
        }
        next.push(best);
        if (!done[b]) {
          if (best === opts.eos) done[b] = true;
          else out[b].push(best);
        }
      }
      rt.release(stepMark);
      ids.set(next);
      if (done.every(Boolean)) break;
    }
    return out;
  } finally {
    rt.release(mark);
  }
}
