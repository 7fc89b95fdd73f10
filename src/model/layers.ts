/**
 * The Transformer's building blocks, each a forward that returns its output and a
 * backward closure that, given the output's gradient, accumulates parameter gradients
 * and returns the input's gradient: the backward runs the forward's steps in exact
 * reverse. Activations come from the runtime's arena and live until the step ends.
 * @module
 */
import type { IntBuffer, Runtime, Tensor } from "../runtime/runtime.ts";
import type { ParamStore } from "./params.ts";
import type {
  AttentionParams,
  FeedForwardParams,
  NormParams,
  TransformerConfig,
} from "./config.ts";
import { matmulInto } from "../kernels/matmul.ts";
import { type Int8Weights, matmulInt8Into } from "../kernels/matmul_int8.ts";
import { attentionBackwardInto, attentionInto } from "../kernels/attention.ts";
import { layerNormBackwardInto, layerNormInto } from "../kernels/layernorm.ts";
import { activationBackwardInto, activationInto } from "../kernels/activations.ts";
import {
  addInto,
  dropoutBackwardInto,
  type DropoutFusion,
  dropoutInto,
  sumRowsInto,
} from "../kernels/elementwise.ts";

/** A block's gradient step: takes d(output), returns d(input). */
export type Backward = (dy: Tensor) => Tensor;

/** The backward of a step that is never differentiated (decoding). */
export const noBackward: Backward = (dy) => dy;

/** Backwards of consecutive blocks as one: the last block's first. */
export function chain(backs: readonly Backward[]): Backward {
  return (dy) => backs.reduceRight((g, b) => b(g), dy);
}

/**
 * The points a pass traces (for `--explain`), each named `<site>.<point>` with the site of
 * the handle it belongs to ({@linkcode traceName}), but for the model's own two,
 * {@linkcode TRACE.memory} and {@linkcode TRACE.logits}, which are bare names.
 */
export const TRACE = {
  /** The encoder's output, and the output layer's logits. */
  memory: "memory",
  logits: "logits",
  /** A stack's embedded input plus positions. */
  input: "input",
  /** An attention's queries, keys, values, weights, context and output. */
  q: "q",
  k: "k",
  v: "v",
  probs: "probs",
  context: "context",
  out: "out",
  /** A residual sublayer's sum, and after post-norm its normalized sum. */
  residual: "residual",
  normalized: "normalized",
  /** A feed-forward sublayer's output. */
  feedForward: "feed_forward",
} as const;

/** One of {@linkcode TRACE}'s points. */
export type TracePoint = typeof TRACE[keyof typeof TRACE];

/** The traced name of `point` at `site` (a handle's site). */
export function traceName(site: string, point: TracePoint): string {
  return `${site}.${point}`;
}

/** What one forward pass shares: runtime, parameters, config, training switches. */
export class Pass {
  #dropoutSite = 0;
  constructor(
    readonly rt: Runtime,
    readonly params: ParamStore,
    readonly config: TransformerConfig,
    readonly train: boolean,
    readonly seed: number,
    /** Receives named intermediate tensors (for --explain); valid until the pass ends. */
    readonly trace?: (name: string, t: Tensor) => void,
  ) {}

  /** A fresh activation tensor from the arena, not cleared: kernels overwrite it. */
  alloc(rows: number, cols: number): Tensor {
    return this.rt.scratch(rows, cols);
  }

  /** The 8-bit copy of weight matrix `w` to compute with, when inferring in 8 bits. */
  int8(w: Tensor): Int8Weights | undefined {
    return this.train ? undefined : this.params.int8For(w);
  }

  get dropout(): number {
    return this.train ? this.config.dropout : 0;
  }

  /**
   * Dropout on x (identity when not training); returns y and its backward. With `fuse`,
   * relu before it or a residual add after it, in the same pass (the backward is then
   * relu's and dropout's together, or the residual branch's only).
   */
  drop(x: Tensor, fuse: DropoutFusion = {}): [Tensor, Backward] {
    const p = this.dropout;
    if (p === 0) {
      if (fuse.relu) {
        const y = this.alloc(x.rows, x.cols);
        activationInto("relu", x, y);
        return [y, (dy) => {
          activationBackwardInto("relu", dy, x, dy);
          return dy;
        }];
      }
      if (fuse.residual) {
        const y = this.alloc(x.rows, x.cols);
        addInto(fuse.residual, x, y);
        return [y, (dy) => dy];
      }
      return [x, (dy) => dy];
    }
    const site = this.#dropoutSite++;
    const seed = (Math.imul(this.seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(site, 0x9e3779b9)) >>>
      0;
    const y = this.alloc(x.rows, x.cols);
    const mask = this.rt.allocBytes(x.size, false);
    dropoutInto(x, y, mask, p, seed, fuse);
    // Into a new tensor, not in place: a residual's backward still needs dy itself.
    return [y, (dy) => {
      const dx = this.alloc(dy.rows, dy.cols);
      dropoutBackwardInto(dy, mask, dx, p, fuse.relu ? x : undefined);
      return dx;
    }];
  }
}

/**
 * y = x·Wᵀ + b (PyTorch's nn.Linear layout: W is [out, in]); in 8 bits when the pass
 * infers with the model's 8-bit weights.
 */
export function linear(pass: Pass, x: Tensor, w: Tensor, b: Tensor | undefined, y: Tensor): void {
  const q = pass.int8(w);
  if (q) matmulInt8Into(x, q, y, { bias: b });
  else matmulInto(x, w, y, { transB: true, bias: b });
}

/** gW += dyᵀ·x, gb += Σ dy, and dx (= or +=) dy·W when dx is given. */
export function linearBackward(
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  gw: Tensor,
  gb: Tensor | undefined,
  dx: Tensor | undefined,
  accumulateDx = false,
): void {
  if (dx) matmulInto(dy, w, dx, { accumulate: accumulateDx });
  matmulInto(dy, x, gw, { transA: true, accumulate: true });
  if (gb) sumRowsInto(dy, gb, true);
}

/** Layer norm with the parameters `n`; returns y and its backward. */
export function norm(pass: Pass, n: NormParams, x: Tensor): [Tensor, Backward] {
  const { params } = pass;
  const gamma = params.get(n.weight!), beta = params.get(n.bias!);
  const y = pass.alloc(x.rows, x.cols);
  const mean = pass.alloc(x.rows, 1), rstd = pass.alloc(x.rows, 1);
  layerNormInto(x, y, gamma, beta, mean, rstd, pass.config.normEps);
  return [y, (dy) => {
    const dx = pass.alloc(x.rows, x.cols);
    layerNormBackwardInto(
      dy,
      x,
      gamma,
      mean,
      rstd,
      dx,
      params.grad(n.weight!),
      params.grad(n.bias!),
    );
    return dx;
  }];
}

/** The batch geometry attention needs: sequences, lengths, and the real lengths. */
export interface SeqShape {
  batch: number;
  len: number;
  lens: IntBuffer;
}

/** Which rows of an attention's packed in-projection: q | k | v, q only, or k | v. */
export type Projection = "qkv" | "q" | "kv";

const ROWS: Record<Projection, [number, number]> = { qkv: [0, 3], q: [0, 1], kv: [1, 3] };

/** `part` of attention `a`'s in-projection of x into y ([x.rows, d·rows of the part]). */
export function inProjection(
  pass: Pass,
  a: AttentionParams,
  part: Projection,
  x: Tensor,
  y: Tensor,
): void {
  const d = pass.config.dModel, [r0, r1] = ROWS[part];
  const w = pass.params.get(a.inProj.weight), b = a.inProj.bias && pass.params.get(a.inProj.bias);
  if (part === "qkv") linear(pass, x, w, b, y);
  else linear(pass, x, w.rowSlice(r0 * d, r1 * d), b?.colSlice(r0 * d, r1 * d), y);
}

/** Attention `a`'s output projection of its context (the context itself without one). */
export function outProjection(pass: Pass, a: AttentionParams, ctx: Tensor): Tensor {
  if (!a.outProj) return ctx;
  const out = pass.alloc(ctx.rows, ctx.cols);
  const { params } = pass;
  linear(
    pass,
    ctx,
    params.get(a.outProj.weight),
    a.outProj.bias && params.get(a.outProj.bias),
    out,
  );
  return out;
}

/** The scale of the embeddings: √dModel when the config scales them (the paper), else 1. */
export function embeddingScale(c: TransformerConfig): number {
  return c.scaleEmbedding ? Math.sqrt(c.dModel) : 1;
}

/** The scale of attention scores: 1/√(head size) when the config scales them. */
export function attentionScale(c: TransformerConfig): number {
  return c.scaleAttention ? 1 / Math.sqrt(c.dModel / c.heads) : 1;
}

/**
 * Multi-head attention `a` with PyTorch's packed in-projection: queries from `xq`, keys
 * and values from `xkv` (the same tensor for self-attention). The backward returns d(xq)
 * and adds d(xkv) into `dxkv` for cross-attention.
 */
export function multiHeadAttention(
  pass: Pass,
  a: AttentionParams,
  xq: Tensor,
  q: SeqShape,
  xkv: Tensor,
  kv: SeqShape,
  causal: boolean,
  dxkv?: Tensor,
): { out: Tensor; probs: Tensor; backward: Backward } {
  const { config } = pass;
  const d = config.dModel, heads = config.heads;
  const self = xq === xkv;
  let qt: Tensor, kt: Tensor, vt: Tensor;
  if (self) {
    const qkv = pass.alloc(xq.rows, 3 * d);
    inProjection(pass, a, "qkv", xq, qkv);
    [qt, kt, vt] = [qkv.colSlice(0, d), qkv.colSlice(d, 2 * d), qkv.colSlice(2 * d, 3 * d)];
  } else {
    const qOnly = pass.alloc(xq.rows, d), kvOnly = pass.alloc(xkv.rows, 2 * d);
    inProjection(pass, a, "q", xq, qOnly);
    inProjection(pass, a, "kv", xkv, kvOnly);
    [qt, kt, vt] = [qOnly, kvOnly.colSlice(0, d), kvOnly.colSlice(d, 2 * d)];
  }
  const ctx = pass.alloc(xq.rows, d);
  const probs = pass.alloc(q.batch * heads * q.len, kv.len);
  const shape = {
    batch: q.batch,
    heads,
    seqQ: q.len,
    seqK: kv.len,
    causal,
    keyLens: kv.lens,
    scale: attentionScale(config),
  };
  attentionInto(qt, kt, vt, ctx, probs, shape);
  if (pass.trace) {
    const traced = [[TRACE.q, qt], [TRACE.k, kt], [TRACE.v, vt], [TRACE.probs, probs], [
      TRACE.context,
      ctx,
    ]] as const;
    for (const [n, t] of traced) pass.trace(traceName(a.site, n), t);
  }
  const out = outProjection(pass, a, ctx);
  pass.trace?.(traceName(a.site, TRACE.out), out);
  const saved = { xq, xkv, qt, kt, vt, ctx, probs, shape, dxkv };
  return { out, probs, backward: attentionBackward(pass, a, saved) };
}

// What the backward of an attention needs of its forward.
interface AttentionSaved {
  xq: Tensor;
  xkv: Tensor;
  qt: Tensor;
  kt: Tensor;
  vt: Tensor;
  ctx: Tensor;
  probs: Tensor;
  shape: Parameters<typeof attentionInto>[5];
  dxkv?: Tensor;
}

// multiHeadAttention's backward: through the output projection, the attention and the
// in-projection; returns d(xq) and adds d(xkv) into `dxkv` for cross-attention.
function attentionBackward(pass: Pass, a: AttentionParams, f: AttentionSaved): Backward {
  const { params, config } = pass;
  const d = config.dModel, self = f.xq === f.xkv;
  const { xq, xkv, qt, kt, vt, ctx, probs, shape, dxkv } = f;
  return (dout) => {
    let dctx = dout;
    if (a.outProj) {
      dctx = pass.alloc(xq.rows, d);
      const o = a.outProj;
      linearBackward(
        dout,
        ctx,
        params.get(o.weight),
        params.grad(o.weight),
        o.bias && params.grad(o.bias),
        dctx,
      );
    }
    const scratch = pass.alloc(shape.seqQ, shape.seqK);
    const dxq = pass.alloc(xq.rows, d);
    const w = params.get(a.inProj.weight), gw = params.grad(a.inProj.weight);
    const gb = a.inProj.bias && params.grad(a.inProj.bias);
    if (self) {
      const dqkv = pass.alloc(xq.rows, 3 * d);
      const [dq, dk, dv] = [
        dqkv.colSlice(0, d),
        dqkv.colSlice(d, 2 * d),
        dqkv.colSlice(2 * d, 3 * d),
      ];
      attentionBackwardInto(qt, kt, vt, probs, dctx, dq, dk, dv, scratch, shape);
      linearBackward(dqkv, xq, w, gw, gb, dxq);
    } else {
      const dq = pass.alloc(xq.rows, d), dkv = pass.alloc(xkv.rows, 2 * d);
      const [dk, dv] = [dkv.colSlice(0, d), dkv.colSlice(d, 2 * d)];
      attentionBackwardInto(qt, kt, vt, probs, dctx, dq, dk, dv, scratch, shape);
      linearBackward(dq, xq, w.rowSlice(0, d), gw.rowSlice(0, d), gb?.colSlice(0, d), dxq);
      const [wkv, gwkv] = [w.rowSlice(d, 3 * d), gw.rowSlice(d, 3 * d)];
      linearBackward(dkv, xkv, wkv, gwkv, gb?.colSlice(d, 3 * d), dxkv, true);
    }
    return dxq;
  };
}

/** The position-wise feed-forward sublayer: linear2(dropout(act(linear1(x)))). */
export function feedForward(pass: Pass, f: FeedForwardParams, x: Tensor): [Tensor, Backward] {
  const { params, config } = pass;
  const w1 = params.get(f.linear1.weight), b1 = params.get(f.linear1.bias);
  const w2 = params.get(f.linear2.weight), b2 = params.get(f.linear2.bias);
  const h = pass.alloc(x.rows, config.dFF);
  linear(pass, x, w1, b1, h);
  // relu and dropout in one pass; gelu on its own.
  const [ad, actBack] = config.activation === "relu"
    ? pass.drop(h, { relu: true })
    : activationThenDrop(pass, h);
  const out = pass.alloc(x.rows, config.dModel);
  linear(pass, ad, w2, b2, out);
  pass.trace?.(traceName(f.site, TRACE.feedForward), out);
  return [out, (dout) => {
    const dad = pass.alloc(x.rows, config.dFF);
    linearBackward(
      dout,
      ad,
      w2,
      params.grad(f.linear2.weight),
      params.grad(f.linear2.bias),
      dad,
    );
    const da = actBack(dad);
    const dx = pass.alloc(x.rows, config.dModel);
    linearBackward(
      da,
      x,
      w1,
      params.grad(f.linear1.weight),
      params.grad(f.linear1.bias),
      dx,
    );
    return dx;
  }];
}

// gelu, then dropout; the backward of both.
function activationThenDrop(pass: Pass, h: Tensor): [Tensor, Backward] {
  const act = pass.config.activation;
  const a = pass.alloc(h.rows, h.cols);
  activationInto(act, h, a);
  const [ad, dropBack] = pass.drop(a);
  return [ad, (dad) => {
    const da = dropBack(dad);
    activationBackwardInto(act, da, h, da);
    return da;
  }];
}

/**
 * A residual sublayer with the configured norm placement:
 *   post: LN(x + drop(f(x)))   pre: x + drop(f(LN(x)))   none: x + f(x)
 */
export function residual(
  pass: Pass,
  normParams: NormParams,
  x: Tensor,
  f: (x: Tensor) => [Tensor, Backward],
): [Tensor, Backward] {
  const placement = pass.config.norm;
  if (placement === "pre") {
    const [n, normBack] = norm(pass, normParams, x);
    const [s, fBack] = f(n);
    const [y, dropBack] = pass.drop(s, { residual: x });
    pass.trace?.(traceName(normParams.site, TRACE.residual), y);
    return [y, (dy) => {
      const dn = fBack(dropBack(dy));
      const dx = normBack(dn);
      addInto(dx, dy, dx);
      return dx;
    }];
  }
  const [s, fBack] = f(x);
  const [r, dropBack] = pass.drop(s, { residual: x });
  pass.trace?.(traceName(normParams.site, TRACE.residual), r);
  if (placement === "none") {
    return [r, (dy) => {
      const dx = fBack(dropBack(dy));
      addInto(dx, dy, dx);
      return dx;
    }];
  }
  const [y, normBack] = norm(pass, normParams, r);
  pass.trace?.(traceName(normParams.site, TRACE.normalized), y);
  return [y, (dy) => {
    const dr = normBack(dy);
    const dx = fBack(dropBack(dr));
    addInto(dx, dr, dx);
    return dx;
  }];
}
