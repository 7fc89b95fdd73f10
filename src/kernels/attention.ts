// Fused scaled dot-product attention over (batch, head), forward and backward.
import type { IntBuffer, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import {
  checkContiguous,
  checkDim,
  checkFinite,
  checkInMemory,
  checkSameRuntime,
  checkShape,
} from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

/** Shape and masking of one attention call. */
export interface AttentionShape {
  /** Sequences in the batch. */
  batch: number;
  /** Attention heads; Q, K, V and the output have heads·dHead columns. */
  heads: number;
  /** Query positions per sequence (Q has batch·seqQ rows). */
  seqQ: number;
  /** Key positions per sequence (K and V have batch·seqK rows). */
  seqK: number;
  /** Mask key j for query i when j > i + (seqK − seqQ). */
  causal?: boolean;
  /** Per sequence, how many keys are real (the rest is padding, masked). */
  keyLens?: IntBuffer;
  /** Multiplies Q·Kᵀ: 1/√dHead in the paper, 1 for the StatQuest model. */
  scale: number;
}

function check(
  K: string,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  probs: Tensor,
  s: AttentionShape,
): number {
  checkDim(K, "batch", s.batch);
  checkDim(K, "heads", s.heads);
  checkDim(K, "seqQ", s.seqQ);
  checkDim(K, "seqK", s.seqK);
  checkFinite(K, "scale", s.scale);
  if (q.cols % s.heads !== 0) {
    throw new ShapeError(`${K}: Q has ${q.cols} columns, not a multiple of ${s.heads} heads`);
  }
  const dHead = q.cols / s.heads;
  checkShape(K, "Q", q, s.batch * s.seqQ, s.heads * dHead);
  checkShape(K, "K", k, s.batch * s.seqK, s.heads * dHead);
  checkShape(K, "V", v, s.batch * s.seqK, s.heads * dHead);
  checkShape(K, "out", out, s.batch * s.seqQ, s.heads * dHead);
  checkShape(K, "probs", probs, s.batch * s.heads * s.seqQ, s.seqK);
  checkContiguous(K, "probs", probs);
  const ts = [q, k, v, out, probs];
  checkSameRuntime(K, ts);
  if (s.keyLens) {
    if (s.keyLens.length !== s.batch) {
      throw new ShapeError(`${K}: keyLens has ${s.keyLens.length} entries, expected ${s.batch}`);
    }
    if (s.keyLens.rt !== q.rt) throw new ShapeError(`${K}: keyLens is in another Runtime`);
    const lens = s.keyLens.rt.i32;
    const at = s.keyLens.ptr >>> 2;
    for (let b = 0; b < s.batch; b++) {
      const n = lens[at + b];
      if (n < 0 || n > s.seqK) {
        throw new ShapeError(`${K}: keyLens[${b}] is ${n}, outside 0..${s.seqK} (seqK)`);
      }
    }
  }
  return dHead;
}

// Sequences [b0, b1) of one call: where their rows start, and the kernel's shape and
// mask arguments that follow the pointers (forward and backward take the same ones).
function batchRange(s: AttentionShape, dHead: number, q: Tensor, k: Tensor, v: Tensor, o: Tensor) {
  return {
    queries: (t: Tensor, b0: number) => t.ptr + 4 * b0 * s.seqQ * t.ld,
    keys: (t: Tensor, b0: number) => t.ptr + 4 * b0 * s.seqK * t.ld,
    probs: (t: Tensor, b0: number) => t.ptr + 4 * b0 * s.heads * s.seqQ * s.seqK,
    tail: (b0: number, b1: number) => [
      b1 - b0,
      s.heads,
      s.seqQ,
      s.seqK,
      dHead,
      q.ld,
      k.ld,
      v.ld,
      o.ld,
      s.causal ? 1 : 0,
      s.keyLens ? s.keyLens.ptr + 4 * b0 : 0,
      s.scale,
    ],
  };
}

/** out = softmax(scale·Q·Kᵀ + masks)·V per (batch, head); probs keeps the weights. */
export function attentionInto(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  probs: Tensor,
  s: AttentionShape,
): void {
  const dHead = check("attention", q, k, v, out, probs, s);
  // By sequences: each thread takes whole (batch, head) blocks.
  const threads = Math.min(s.batch, threadsFor(q.rt, s.batch * s.heads * s.seqQ * s.seqK * dHead));
  const r = batchRange(s, dHead, q, k, v, out);
  q.rt.parallel(
    "attentionForward",
    splitRange(s.batch, threads).map(([b0, b1]) => [
      r.queries(q, b0),
      r.keys(k, b0),
      r.keys(v, b0),
      r.queries(out, b0),
      r.probs(probs, b0),
      ...r.tail(b0, b1),
    ]),
  );
}

/** dQ, dK, dV (overwritten) from dOut and the forward's probs; scratch holds seqQ·seqK. */
export function attentionBackwardInto(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  probs: Tensor,
  dOut: Tensor,
  dq: Tensor,
  dk: Tensor,
  dv: Tensor,
  scratch: Tensor,
  s: AttentionShape,
): void {
  const K = "attentionBackward";
  const dHead = check(K, q, k, v, dOut, probs, s);
  checkShape(K, "dQ", dq, q.rows, q.cols);
  checkShape(K, "dK", dk, k.rows, k.cols);
  checkShape(K, "dV", dv, v.rows, v.cols);
  if (dq.ld !== q.ld || dk.ld !== k.ld || dv.ld !== v.ld) {
    throw new ShapeError(`${K}: dQ, dK, dV must have the row strides of Q, K, V`);
  }
  checkContiguous(K, "scratch", scratch);
  checkInMemory(K, "scratch", scratch);
  if (scratch.size < s.seqQ * s.seqK) {
    throw new ShapeError(`${K}: scratch holds ${scratch.size} floats, needs ${s.seqQ * s.seqK}`);
  }
  checkSameRuntime(K, [q, dq, dk, dv, scratch]);
  const rt = q.rt;
  const threads = Math.min(
    s.batch,
    threadsFor(rt, 2 * s.batch * s.heads * s.seqQ * s.seqK * dHead),
  );
  // Each thread needs its own dP/dS scratch; the caller's is the first.
  const mark = rt.mark();
  const scratches = [scratch.ptr];
  for (let t = 1; t < threads; t++) scratches.push(rt.allocBytes(4 * s.seqQ * s.seqK, false));
  const r = batchRange(s, dHead, q, k, v, dOut);
  try {
    rt.parallel(
      "attentionBackward",
      splitRange(s.batch, threads).map(([b0, b1], t) => [
        r.queries(q, b0),
        r.keys(k, b0),
        r.keys(v, b0),
        r.probs(probs, b0),
        r.queries(dOut, b0),
        r.queries(dq, b0),
        r.keys(dk, b0),
        r.keys(dv, b0),
        scratches[t],
        ...r.tail(b0, b1),
      ]),
    );
  } finally {
    rt.release(mark);
  }
}
