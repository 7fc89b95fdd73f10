/**
 * The Transformer's building blocks, each a forward that returns its output and a
 * backward closure that, given the output's gradient, accumulates parameter gradients
 * and returns the input's gradient: the backward runs the forward's steps in exact
 * reverse. Activations come from the runtime's arena and live until the step ends.
 * @module
 */
import type { IntBuffer, Runtime, Tensor } from "../runtime/runtime.ts";
import type { ParamStore } from "./params.ts";
import type { TransformerConfig } from "./config.ts";
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

/** Layer norm with the parameters at `prefix`; returns y and its backward. */
export function norm(pass: Pass, prefix: string, x: Tensor): [Tensor, Backward] {
  const { params } = pass;
  const gamma = params.get(`${prefix}.weight`), beta = params.get(`${prefix}.bias`);
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
      params.grad(`${prefix}.weight`),
      params.grad(`${prefix}.bias`),
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

/**
 * Multi-head attention with PyTorch's packed in-projection: queries from `xq`, keys and
 * values from `xkv` (the same tensor for self-attention). The backward returns d(xq)
 * and adds d(xkv) into `dxkv` for cross-attention.
 */
export function multiHeadAttention(
  pass: Pass,
  prefix: string,
  xq: Tensor,
  q: SeqShape,
  xkv: Tensor,
  kv: SeqShape,
  causal: boolean,
  dxkv?: Tensor,
): { out: Tensor; probs: Tensor; backward: Backward } {
  const { params, config } = pass;
  const d = config.dModel, heads = config.heads;
  const self = xq === xkv;
  const w = params.get(`${prefix}.in_proj_weight`);
  const b = config.attentionBias ? params.get(`${prefix}.in_proj_bias`) : undefined;
  const gw = params.grad(`${prefix}.in_proj_weight`);
  const gb = config.attentionBias ? params.grad(`${prefix}.in_proj_bias`) : undefined;
  let qt: Tensor, kt: Tensor, vt: Tensor;
  let qkv: Tensor | undefined, qOnly: Tensor | undefined, kvOnly: Tensor | undefined;
  if (self) {
    qkv = pass.alloc(xq.rows, 3 * d);
    linear(pass, xq, w, b, qkv);
    [qt, kt, vt] = [qkv.colSlice(0, d), qkv.colSlice(d, 2 * d), qkv.colSlice(2 * d, 3 * d)];
  } else {
    qOnly = pass.alloc(xq.rows, d);
    kvOnly = pass.alloc(xkv.rows, 2 * d);
    linear(pass, xq, w.rowSlice(0, d), b?.colSlice(0, d), qOnly);
    linear(pass, xkv, w.rowSlice(d, 3 * d), b?.colSlice(d, 3 * d), kvOnly);
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
    scale: config.scaleAttention ? 1 / Math.sqrt(d / heads) : 1,
  };
  attentionInto(qt, kt, vt, ctx, probs, shape);
  if (pass.trace) {
    for (
      const [n, t] of [["q", qt], ["k", kt], ["v", vt], ["probs", probs], ["context", ctx]] as const
    ) {
      pass.trace(`${prefix}.${n}`, t);
    }
  }
  let out = ctx;
  const outProj = config.attentionOutProj;
  if (outProj) {
    out = pass.alloc(xq.rows, d);
    linear(
      pass,
      ctx,
      params.get(`${prefix}.out_proj.weight`),
      config.attentionBias ? params.get(`${prefix}.out_proj.bias`) : undefined,
      out,
    );
  }
  pass.trace?.(`${prefix}.out`, out);
  const backward: Backward = (dout) => {
    let dctx = dout;
    if (outProj) {
      dctx = pass.alloc(xq.rows, d);
      linearBackward(
        dout,
        ctx,
        params.get(`${prefix}.out_proj.weight`),
        params.grad(`${prefix}.out_proj.weight`),
        config.attentionBias ? params.grad(`${prefix}.out_proj.bias`) : undefined,
        dctx,
      );
    }
    const scratch = pass.alloc(q.len, kv.len);
    const dxq = pass.alloc(xq.rows, d);
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
      attentionBackwardInto(
        qt,
        kt,
        vt,
        probs,
        dctx,
        dq,
        dkv.colSlice(0, d),
        dkv.colSlice(d, 2 * d),
        scratch,
        shape,
      );
      linearBackward(dq, xq, w.rowSlice(0, d), gw.rowSlice(0, d), gb?.colSlice(0, d), dxq);
      linearBackward(
        dkv,
        xkv,
        w.rowSlice(d, 3 * d),
        gw.rowSlice(d, 3 * d),
        gb?.colSlice(d, 3 * d),
        dxkv,
        true,
      );
    }
    return dxq;
  };
  return { out, probs, backward };
}

/** The position-wise feed-forward sublayer: linear2(dropout(act(linear1(x)))). */
export function feedForward(pass: Pass, prefix: string, x: Tensor): [Tensor, Backward] {
  const { params, config } = pass;
  const w1 = params.get(`${prefix}.linear1.weight`), b1 = params.get(`${prefix}.linear1.bias`);
  const w2 = params.get(`${prefix}.linear2.weight`), b2 = params.get(`${prefix}.linear2.bias`);
  const h = pass.alloc(x.rows, config.dFF);
  linear(pass, x, w1, b1, h);
  // relu and dropout in one pass; gelu on its own.
  const [ad, actBack] = config.activation === "relu"
    ? pass.drop(h, { relu: true })
    : activationThenDrop(pass, h);
  const out = pass.alloc(x.rows, config.dModel);
  linear(pass, ad, w2, b2, out);
  pass.trace?.(`${prefix}.feed_forward`, out);
  return [out, (dout) => {
    const dad = pass.alloc(x.rows, config.dFF);
    linearBackward(
      dout,
      ad,
      w2,
      params.grad(`${prefix}.linear2.weight`),
      params.grad(`${prefix}.linear2.bias`),
      dad,
    );
    const da = actBack(dad);
    const dx = pass.alloc(x.rows, config.dModel);
    linearBackward(
      da,
      x,
      w1,
      params.grad(`${prefix}.linear1.weight`),
      params.grad(`${prefix}.linear1.bias`),
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
  normPrefix: string,
  x: Tensor,
  f: (x: Tensor) => [Tensor, Backward],
): [Tensor, Backward] {
  const placement = pass.config.norm;
  if (placement === "pre") {
    const [n, normBack] = norm(pass, normPrefix, x);
    const [s, fBack] = f(n);
    const [y, dropBack] = pass.drop(s, { residual: x });
    pass.trace?.(`${normPrefix}.residual`, y);
    return [y, (dy) => {
      const dn = fBack(dropBack(dy));
      const dx = normBack(dn);
      addInto(dx, dy, dx);
      return dx;
    }];
  }
  const [s, fBack] = f(x);
  const [r, dropBack] = pass.drop(s, { residual: x });
  pass.trace?.(`${normPrefix}.residual`, r);
  if (placement === "none") {
    return [r, (dy) => {
      const dx = fBack(dropBack(dy));
      addInto(dx, dy, dx);
      return dx;
    }];
  }
  const [y, normBack] = norm(pass, normPrefix, r);
  pass.trace?.(`${normPrefix}.normalized`, y);
  return [y, (dy) => {
    const dr = normBack(dy);
    const dx = fBack(dropBack(dr));
    addInto(dx, dr, dx);
    return dx;
  }];
}
