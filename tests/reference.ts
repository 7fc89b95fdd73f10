// Plain-TypeScript reference kernels: obviously correct, f64 accumulation, slow.
// Every wasm kernel is tested against the function of the same name here.

export function refMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  o: { transA?: boolean; transB?: boolean; alpha?: number; bias?: ArrayLike<number> } = {},
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = o.transA ? a[p * m + i] : a[i * k + p];
        const bv = o.transB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      c[i * n + j] = (o.alpha ?? 1) * s + (o.bias ? o.bias[j] : 0);
    }
  }
  return c;
}

/** Σ_p |a_ip·b_pj| for each (i, j): the scale of the rounding error of c_ij. */
export function refMatmulAbs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  o: { transA?: boolean; transB?: boolean } = {},
): Float64Array {
  const abs = (x: ArrayLike<number>) => Float64Array.from(x, Math.abs);
  return refMatmul(abs(a), abs(b), m, k, n, o);
}

export function refSoftmaxRow(x: ArrayLike<number>, scale = 1): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const y = new Float64Array(x.length);
  if (m === -Infinity) return y;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += y[i] = Math.exp((x[i] - m) * scale);
  for (let i = 0; i < x.length; i++) y[i] /= s;
  return y;
}

export function refSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    y.set(refSoftmaxRow(Array.from({ length: cols }, (_, c) => x[r * cols + c])), r * cols);
  }
  return y;
}

export interface RefAttentionShape {
  batch: number;
  heads: number;
  seqQ: number;
  seqK: number;
  dHead: number;
  causal?: boolean;
  keyLens?: number[];
  scale: number;
}

/** Attention by its definition: out and the weights [batch, heads, seqQ, seqK]. */
export function refAttention(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  s: RefAttentionShape,
): { out: Float64Array; probs: Float64Array } {
  const w = s.heads * s.dHead;
  const out = new Float64Array(s.batch * s.seqQ * w);
  const probs = new Float64Array(s.batch * s.heads * s.seqQ * s.seqK);
  for (let b = 0; b < s.batch; b++) {
    const keyLen = s.keyLens ? s.keyLens[b] : s.seqK;
    for (let h = 0; h < s.heads; h++) {
      for (let i = 0; i < s.seqQ; i++) {
        const scores = new Float64Array(s.seqK).fill(-Infinity);
        for (let j = 0; j < s.seqK; j++) {
          const visible = j < keyLen && (!s.causal || j <= i + s.seqK - s.seqQ);
          if (!visible) continue;
          let dot = 0;
          for (let d = 0; d < s.dHead; d++) {
            dot += q[(b * s.seqQ + i) * w + h * s.dHead + d] *
              k[(b * s.seqK + j) * w + h * s.dHead + d];
          }
          scores[j] = dot;
        }
        const p = refSoftmaxRow(scores, s.scale);
        probs.set(p, ((b * s.heads + h) * s.seqQ + i) * s.seqK);
        for (let d = 0; d < s.dHead; d++) {
          let acc = 0;
          for (let j = 0; j < s.seqK; j++) acc += p[j] * v[(b * s.seqK + j) * w + h * s.dHead + d];
          out[(b * s.seqQ + i) * w + h * s.dHead + d] = acc;
        }
      }
    }
  }
  return { out, probs };
}

/**
 * One decoding step's attention (attentionDecodeInto): query row r against its keys, key j
 * being row base[r] + table[r·stride + j] of kv (K in columns [0, d), V in [d, 2d)).
 */
export function refAttentionDecode(
  q: ArrayLike<number>,
  kv: ArrayLike<number>,
  s: {
    rows: number;
    heads: number;
    dHead: number;
    scale: number;
    base: ArrayLike<number>;
    table: ArrayLike<number>;
    stride: number;
    keyLens: ArrayLike<number>;
  },
): Float64Array {
  const d = s.heads * s.dHead, out = new Float64Array(s.rows * d);
  for (let r = 0; r < s.rows; r++) {
    const keyRows = Array.from(
      { length: s.keyLens[r] },
      (_, j) => s.base[r] + s.table[r * s.stride + j],
    );
    for (let h = 0; h < s.heads; h++) {
      const scores = keyRows.map((kr) => {
        let dot = 0;
        for (let c = 0; c < s.dHead; c++) {
          dot += q[r * d + h * s.dHead + c] * kv[kr * 2 * d + h * s.dHead + c];
        }
        return dot;
      });
      const p = refSoftmaxRow(scores, s.scale);
      for (let c = 0; c < s.dHead; c++) {
        let acc = 0;
        keyRows.forEach((kr, j) => acc += p[j] * kv[kr * 2 * d + d + h * s.dHead + c]);
        out[r * d + h * s.dHead + c] = acc;
      }
    }
  }
  return out;
}

export function refLayerNorm(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps: number,
): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m += x[r * cols + c];
    m /= cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[r * cols + c] - m) ** 2;
    v /= cols;
    const rs = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < cols; c++) {
      y[r * cols + c] = (x[r * cols + c] - m) * rs * gamma[c] + beta[c];
    }
  }
  return y;
}

export function refRelu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => Math.max(v, 0));
}

// erf by its Maclaurin series (|x| < 3) and continued fraction of erfc beyond: exact to
// f64 rounding for the arguments the tests use.
export function refErf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x * x / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }
  // Lentz continued fraction for erfc(ax).
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

export function refGelu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => 0.5 * v * (1 + refErf(v / Math.SQRT2)));
}

/** F.cross_entropy(logits, labels, label_smoothing, ignore_index), mean reduction. */
export function refCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  vocab: number,
  smoothing: number,
  ignoreIndex: number,
): number {
  let total = 0, count = 0;
  for (let r = 0; r < labels.length; r++) {
    if (labels[r] === ignoreIndex) continue;
    count++;
    let m = -Infinity;
    for (let c = 0; c < vocab; c++) m = Math.max(m, logits[r * vocab + c]);
    let s = 0, sx = 0;
    for (let c = 0; c < vocab; c++) {
      s += Math.exp(logits[r * vocab + c] - m);
      sx += logits[r * vocab + c];
    }
    const lse = m + Math.log(s);
    total += (1 - smoothing) * (lse - logits[r * vocab + labels[r]]) +
      smoothing * (lse - sx / vocab);
  }
  return count ? total / count : 0;
}

/** One torch.optim.Adam(W) step in f64; returns the new params, m, v. */
export function refAdam(
  p: ArrayLike<number>,
  g: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  step: number,
  h: { lr: number; beta1: number; beta2: number; eps: number; wd: number; decoupled: boolean },
): { p: Float64Array; m: Float64Array; v: Float64Array } {
  const n = p.length;
  const P = Float64Array.from(p), M = Float64Array.from(m), V = Float64Array.from(v);
  const bc1 = 1 - h.beta1 ** step, bc2 = 1 - h.beta2 ** step;
  for (let i = 0; i < n; i++) {
    let gi = g[i];
    if (h.wd && !h.decoupled) gi += h.wd * P[i];
    if (h.wd && h.decoupled) P[i] *= 1 - h.lr * h.wd;
    M[i] = h.beta1 * M[i] + (1 - h.beta1) * gi;
    V[i] = h.beta2 * V[i] + (1 - h.beta2) * gi * gi;
    P[i] -= (h.lr / bc1) * M[i] / (Math.sqrt(V[i]) / Math.sqrt(bc2) + h.eps);
  }
  return { p: P, m: M, v: V };
}

export function refPositionalEncoding(maxLen: number, dim: number): Float64Array {
  const pe = new Float64Array(maxLen * dim);
  for (let pos = 0; pos < maxLen; pos++) {
    for (let i = 0; i < dim; i++) {
      const angle = pos / 10000 ** ((2 * Math.floor(i / 2)) / dim);
      pe[pos * dim + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return pe;
}

export function refEmbedding(
  table: ArrayLike<number>,
  ids: number[],
  dim: number,
  scale: number,
  pe: ArrayLike<number> | undefined,
  seqLen: number,
  posOffset = 0,
): Float64Array {
  const out = new Float64Array(ids.length * dim);
  ids.forEach((id, t) => {
    for (let c = 0; c < dim; c++) {
      out[t * dim + c] = table[id * dim + c] * scale +
        (pe ? pe[(posOffset + (t % seqLen)) * dim + c] : 0);
    }
  });
  return out;
}

/** Dropout's keep decisions by definition: SplitMix32's finalizer of (seed, index) ≥ p·2³². */
export function refDropoutMask(n: number, p: number, seed: number, offset = 0): Uint8Array {
  const threshold = Math.min(Math.fround(p) * 4294967296, 4294967295) >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = (seed ^ Math.imul(i + offset, 0x9e3779b9)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    out[i] = z >= threshold ? 1 : 0;
  }
  return out;
}

/**
 * The 8-bit inference matmul, exactly: rows of W [n, k] to 8 bits (scale max|w|/127,
 * values in -127..127), rows of A to 7-bit codes u = round(a / s) + z in 0..127 (s spans
 * [min(a, 0), max(a, 0)] in 127 steps, z is the code of 0), integer dot products of
 * (u − z) and w, then the same f32 epilogue: (dot · (sa · sw)) (+ C) (+ bias). Rounding
 * is to nearest, ties to even, as wasm's.
 */
export function refMatmulInt8(
  a: Float32Array,
  w: Float32Array,
  m: number,
  k: number,
  n: number,
  o: { bias?: Float32Array; c?: Float32Array } = {},
): Float32Array {
  const f = Math.fround;
  const nearestEven = (x: number) => {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const quantize = (row: Float32Array, levels: number) => {
    let mx = 0;
    for (const x of row) mx = Math.max(mx, Math.abs(x));
    const inv = mx > 0 ? f(levels / mx) : 0;
    return {
      q: Array.from(row, (x) => Math.max(-levels, Math.min(levels, nearestEven(f(x * inv))))),
      s: f(mx / levels),
      finite: Number.isFinite(mx),
    };
  };
  const codes = (row: Float32Array) => {
    let lo = 0, hi = 0;
    for (const x of row) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    const range = f(hi - lo), big = f(127 / range);
    const inv = range > 0 && Number.isFinite(big) ? big : 0;
    const z = nearestEven(f(-lo * inv));
    return {
      q: Array.from(row, (x) => Math.max(0, Math.min(127, nearestEven(f(x * inv)) + z)) - z),
      s: f(range / 127),
      finite: Number.isFinite(range),
    };
  };
  const wq = Array.from({ length: n }, (_, j) => quantize(w.subarray(j * k, (j + 1) * k), 127));
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const aq = codes(a.subarray(i * k, (i + 1) * k));
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let p = 0; p < k; p++) dot += aq.q[p] * wq[j].q[p];
      let v = aq.finite ? f(f(dot) * f(aq.s * wq[j].s)) : NaN;
      if (o.c) v = f(v + o.c[i * n + j]);
      if (o.bias) v = f(v + o.bias[j]);
      out[i * n + j] = v;
    }
  }
  return out;
}

/**
 * Each row's k largest entries (indices, largest first, lower index first on ties, -1
 * past the row; NaN never chosen) and log Σ exp of the row, in f64.
 */
export function refTopK(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  k: number,
): { idx: number[]; lse: number[] } {
  const idx: number[] = [], lse: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]);
    const order = row.map((_, j) => j).filter((j) => !Number.isNaN(row[j]))
      .sort((a, b) => row[b] - row[a] || a - b);
    for (let q = 0; q < k; q++) idx.push(q < order.length ? order[q] : -1);
    const m = Math.max(...row);
    lse.push(
      m === -Infinity || Number.isNaN(m) || m === Infinity
        ? m
        : m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)),
    );
  }
  return { idx, lse };
}
