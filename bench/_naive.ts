// Naive TypeScript baselines for the benchmarks: what the kernels would cost written
// the obvious way in JavaScript (f32 arrays, no SIMD).

export function naiveMatmul(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  m: number,
  k: number,
  n: number,
) {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) c[i * n + j] = 0;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += av * b[p * n + j];
    }
  }
}

export function naiveSoftmax(x: Float32Array, y: Float32Array, rows: number, cols: number) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[o + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += y[o + c] = Math.exp(x[o + c] - m);
    for (let c = 0; c < cols; c++) y[o + c] /= s;
  }
}

export function naiveLayerNorm(x: Float32Array, y: Float32Array, rows: number, cols: number) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let c = 0; c < cols; c++) m += x[o + c];
    m /= cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[o + c] - m) ** 2;
    const rs = 1 / Math.sqrt(v / cols + 1e-5);
    for (let c = 0; c < cols; c++) y[o + c] = (x[o + c] - m) * rs;
  }
}

export function filled(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.37);
  return v;
}
