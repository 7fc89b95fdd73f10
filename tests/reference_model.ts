// The whole Transformer forward pass in plain TypeScript with f64 arithmetic: slow,
// written for clarity, used to check the wasm model's logits and (by finite
// differences) its gradients. Dropout is not modelled (evaluation mode).
import type { TransformerConfig } from "../src/model/config.ts";
import { refCrossEntropy, refErf } from "./reference.ts";

export type Params = Map<string, Float64Array>;
type Mat = Float64Array; // row-major [rows, cols]

function linear(
  x: Mat,
  rows: number,
  inDim: number,
  w: Mat,
  b: Mat | undefined,
  outDim: number,
  wRow0 = 0,
): Mat {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[wRow0 + o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[(wRow0 + o) * inDim + i];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

function layerNorm(x: Mat, rows: number, d: number, g: Mat, b: Mat, eps: number): Mat {
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = 0; i < d; i++) m += x[r * d + i];
    m /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - m) ** 2;
    const rs = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - m) * rs * g[i] + b[i];
  }
  return y;
}

function add(a: Mat, b: Mat): Mat {
  return a.map((v, i) => v + b[i]);
}

function attention(
  c: TransformerConfig,
  p: Params,
  prefix: string,
  xq: Mat,
  qB: number,
  qLen: number,
  xkv: Mat,
  kLen: number,
  kLens: number[],
  causal: boolean,
): Mat {
  const d = c.dModel, H = c.heads, dh = d / H;
  const w = p.get(`${prefix}.in_proj_weight`)!;
  const b = c.attentionBias ? p.get(`${prefix}.in_proj_bias`)! : undefined;
  const q = linear(xq, qB * qLen, d, w, b, d, 0);
  const k = linear(xkv, qB * kLen, d, w, b, d, d);
  const v = linear(xkv, qB * kLen, d, w, b, d, 2 * d);
  const scale = c.scaleAttention ? 1 / Math.sqrt(dh) : 1;
  const ctx = new Float64Array(qB * qLen * d);
  for (let bb = 0; bb < qB; bb++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < qLen; i++) {
        const s: number[] = [];
        for (let j = 0; j < kLen; j++) {
          if (j >= kLens[bb] || (causal && j > i)) {
            s.push(-Infinity);
            continue;
          }
          let dot = 0;
          for (let e = 0; e < dh; e++) {
            dot += q[(bb * qLen + i) * d + h * dh + e] * k[(bb * kLen + j) * d + h * dh + e];
          }
          s.push(dot * scale);
        }
        const m = Math.max(...s);
        const ex = s.map((x) => (x === -Infinity ? 0 : Math.exp(x - m)));
        const sum = ex.reduce((a, x) => a + x, 0);
        for (let e = 0; e < dh; e++) {
          let acc = 0;
          for (let j = 0; j < kLen; j++) {
            acc += (sum ? ex[j] / sum : 0) * v[(bb * kLen + j) * d + h * dh + e];
          }
          ctx[(bb * qLen + i) * d + h * dh + e] = acc;
        }
      }
    }
  }
  if (!c.attentionOutProj) return ctx;
  return linear(
    ctx,
    qB * qLen,
    d,
    p.get(`${prefix}.out_proj.weight`)!,
    c.attentionBias ? p.get(`${prefix}.out_proj.bias`) : undefined,
    d,
  );
}

function feedForward(c: TransformerConfig, p: Params, prefix: string, x: Mat, rows: number): Mat {
  const h = linear(
    x,
    rows,
    c.dModel,
    p.get(`${prefix}.linear1.weight`)!,
    p.get(`${prefix}.linear1.bias`),
    c.dFF,
  );
  const a = h.map((v) =>
    c.activation === "relu" ? Math.max(v, 0) : 0.5 * v * (1 + refErf(v / Math.SQRT2))
  );
  return linear(
    a,
    rows,
    c.dFF,
    p.get(`${prefix}.linear2.weight`)!,
    p.get(`${prefix}.linear2.bias`),
    c.dModel,
  );
}

function sublayer(
  c: TransformerConfig,
  p: Params,
  normPrefix: string,
  x: Mat,
  rows: number,
  f: (h: Mat) => Mat,
): Mat {
  const ln = (y: Mat) =>
    layerNorm(
      y,
      rows,
      c.dModel,
      p.get(`${normPrefix}.weight`)!,
      p.get(`${normPrefix}.bias`)!,
      c.normEps,
    );
  if (c.norm === "pre") return add(x, f(ln(x)));
  const r = add(x, f(x));
  return c.norm === "post" ? ln(r) : r;
}

function embed(c: TransformerConfig, table: Mat, seqs: number[][], len: number): Mat {
  const d = c.dModel;
  const out = new Float64Array(seqs.length * len * d);
  const scale = c.scaleEmbedding ? Math.sqrt(d) : 1;
  seqs.forEach((s, b) => {
    for (let t = 0; t < len; t++) {
      const id = t < s.length ? s[t] : 0;
      for (let i = 0; i < d; i++) {
        const angle = t / 10000 ** ((2 * Math.floor(i / 2)) / d);
        const pe = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        out[(b * len + t) * d + i] = table[id * d + i] * scale + pe;
      }
    }
  });
  return out;
}

/** Logits [batch·tgtLen, tgtVocab] (padded to the longest sequences) in f64. */
export function refLogits(
  c: TransformerConfig,
  p: Params,
  src: number[][],
  tgtIn: number[][],
): Float64Array {
  const B = src.length,
    S = Math.max(...src.map((s) => s.length)),
    T = Math.max(...tgtIn.map((s) => s.length));
  const sLens = src.map((s) => s.length), tLens = tgtIn.map((s) => s.length);
  const hasNorm = c.norm !== "none";
  let x = embed(c, p.get("src_embed.weight")!, src, S);
  for (let i = 0; i < c.encoderLayers; i++) {
    const pre = `encoder.layers.${i}`;
    x = sublayer(
      c,
      p,
      `${pre}.norm1`,
      x,
      B * S,
      (h) => attention(c, p, `${pre}.self_attn`, h, B, S, h, S, sLens, false),
    );
    if (c.dFF) {
      x = sublayer(c, p, `${pre}.norm2`, x, B * S, (h) => feedForward(c, p, pre, h, B * S));
    }
  }
  if (hasNorm && c.finalNorm) {
    x = layerNorm(
      x,
      B * S,
      c.dModel,
      p.get("encoder.norm.weight")!,
      p.get("encoder.norm.bias")!,
      c.normEps,
    );
  }
  const memory = x;
  const tgtTable = c.shareEmbeddings ? "src_embed.weight" : "tgt_embed.weight";
  let y = embed(c, p.get(tgtTable)!, tgtIn, T);
  for (let i = 0; i < c.decoderLayers; i++) {
    const pre = `decoder.layers.${i}`;
    y = sublayer(
      c,
      p,
      `${pre}.norm1`,
      y,
      B * T,
      (h) => attention(c, p, `${pre}.self_attn`, h, B, T, h, T, tLens, true),
    );
    y = sublayer(
      c,
      p,
      `${pre}.norm2`,
      y,
      B * T,
      (h) => attention(c, p, `${pre}.multihead_attn`, h, B, T, memory, S, sLens, false),
    );
    if (c.dFF) {
      y = sublayer(c, p, `${pre}.norm3`, y, B * T, (h) => feedForward(c, p, pre, h, B * T));
    }
  }
  if (hasNorm && c.finalNorm) {
    y = layerNorm(
      y,
      B * T,
      c.dModel,
      p.get("decoder.norm.weight")!,
      p.get("decoder.norm.bias")!,
      c.normEps,
    );
  }
  const w = c.tieOutput ? p.get(tgtTable)! : p.get("generator.weight")!;
  return linear(y, B * T, c.dModel, w, p.get("generator.bias"), c.tgtVocab);
}

/** The mean label-smoothed cross-entropy of `labels` (-1 ignored), in f64. */
export function refLoss(
  c: TransformerConfig,
  p: Params,
  src: number[][],
  tgtIn: number[][],
  labels: number[][],
  smoothing: number,
): number {
  const T = Math.max(...tgtIn.map((s) => s.length));
  const flat: number[] = [];
  labels.forEach((l) => {
    for (let t = 0; t < T; t++) flat.push(t < l.length ? l[t] : -1);
  });
  return refCrossEntropy(refLogits(c, p, src, tgtIn), flat, c.tgtVocab, smoothing, -1);
}
