// Embedding: out[t, :] = table[ids[t], :] · scale + pe[posOffset + t mod seqLen, :]
// (pe = 0: no positions). Backward scatter-adds into the table, in token order, so the
// sum is the same on every run.
import { at } from "./simd_math";

export function embeddingForward(
  table: usize,
  ids: usize,
  pe: usize,
  out: usize,
  tokens: i32,
  dim: i32,
  scale: f32,
  seqLen: i32,
  posOffset: i32,
): void {
  const vs = f32x4.splat(scale);
  for (let t = 0; t < tokens; t++) {
    const src = at(table, load<i32>(at(ids, t)) * dim);
    const dst = at(out, t * dim);
    const pos = pe ? at(pe, (posOffset + t % seqLen) * dim) : 0;
    let c = 0;
    for (; c + 4 <= dim; c += 4) {
      let v = f32x4.mul(v128.load(at(src, c)), vs);
      if (pos) v = f32x4.add(v, v128.load(at(pos, c)));
      v128.store(at(dst, c), v);
    }
    for (; c < dim; c++) {
      let v = load<f32>(at(src, c)) * scale;
      if (pos) v += load<f32>(at(pos, c));
      store<f32>(at(dst, c), v);
    }
  }
}

// dtable[ids[t], :] += dout[t, :] · scale.
export function embeddingBackward(
  dout: usize,
  ids: usize,
  dtable: usize,
  tokens: i32,
  dim: i32,
  ld: i32,
  scale: f32,
): void {
  // dim columns of rows ld floats long: threads take column ranges, so no two write
  // the same row of the table at once, and each element adds its tokens in order.
  const vs = f32x4.splat(scale);
  for (let t = 0; t < tokens; t++) {
    const dst = at(dtable, load<i32>(at(ids, t)) * ld);
    const src = at(dout, t * ld);
    let c = 0;
    for (; c + 4 <= dim; c += 4) {
      v128.store(
        at(dst, c),
        f32x4.add(v128.load(at(dst, c)), f32x4.mul(v128.load(at(src, c)), vs)),
      );
    }
    for (; c < dim; c++) {
      store<f32>(at(dst, c), load<f32>(at(dst, c)) + load<f32>(at(src, c)) * scale);
    }
  }
}

// Sinusoidal positions (Vaswani et al. 2017, §3.5): pe[pos, 2i] = sin(pos / 10000^(2i/d)),
// pe[pos, 2i+1] = cos(same angle), computed in f64 and rounded once.
export function positionalEncoding(pe: usize, maxLen: i32, dim: i32): void {
  for (let pos = 0; pos < maxLen; pos++) {
    for (let c = 0; c < dim; c++) {
      const i2 = <f64> (c & ~1);
      const angle = <f64> pos / Math.pow(10000, i2 / <f64> dim);
      store<f32>(at(pe, pos * dim + c), <f32> ((c & 1) ? Math.cos(angle) : Math.sin(angle)));
    }
  }
}
