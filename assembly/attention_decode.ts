// Attention for decoding steps: one query per row, against keys and values that are found
// through a table of indices instead of lying in a row of their own. Beam search then
// reorders hypotheses by rewriting their rows of indices (one i32 per step) instead of
// copying their cached keys and values (2·dModel floats per step and layer), and every
// row of a sentence reads its one copy of the source's keys.
//
// Row r's key j is row base[r] + table[r·ldt + j] of kv (ldt 0: every row reads the same
// list, as cross-attention's rows do), its key in the first columns, its value from
// column vOffset on; head h takes columns h·dHead.. of both. Per row and head:
// out = softmax(scale · q·kⱼ over j < keyLens[r]) · V, the scores in the workspace.
// Rows do not depend on each other: the same bits in any batch and at any thread count.
import { workspacePtr } from "./workspace";
import { at, EXP_TABLE, hsum, madd } from "./simd_math";
import { softmaxRowWith } from "./softmax";

// q · k over n floats: two chains of vectors, then the last n % 4 in scalars.
@inline function dot(q: usize, k: usize, n: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = madd(v128.load(at(q, i)), v128.load(at(k, i)), s0);
    s1 = madd(v128.load(at(q, i), 16), v128.load(at(k, i), 16), s1);
  }
  if (i + 4 <= n) {
    s0 = madd(v128.load(at(q, i)), v128.load(at(k, i)), s0);
    i += 4;
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; i < n; i++) s += load<f32>(at(q, i)) * load<f32>(at(k, i));
  return s;
}

// The kv row of each of a row's n keys, as byte offsets of their head's first value.
@inline function valueRow(kv: usize, ldkv: i32, baseRow: i32, table: usize, j: i32, col: i32): usize {
  return at(kv, (baseRow + load<i32>(at(table, j))) * ldkv + col);
}

// The scores of four keys at once, each summed exactly as dot() sums it (the same bits):
// four keys' chains side by side keep the multiply-adds busy where one key's two chains
// wait on their latency.
@inline function dot4(
  q: usize, k0: usize, k1: usize, k2: usize, k3: usize, n: i32, dst: usize,
): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const x = v128.load(at(q, i)), y = v128.load(at(q, i), 16);
    a0 = madd(x, v128.load(at(k0, i)), a0);
    a1 = madd(y, v128.load(at(k0, i), 16), a1);
    b0 = madd(x, v128.load(at(k1, i)), b0);
    b1 = madd(y, v128.load(at(k1, i), 16), b1);
    c0 = madd(x, v128.load(at(k2, i)), c0);
    c1 = madd(y, v128.load(at(k2, i), 16), c1);
    d0 = madd(x, v128.load(at(k3, i)), d0);
    d1 = madd(y, v128.load(at(k3, i), 16), d1);
  }
  if (i + 4 <= n) {
    const x = v128.load(at(q, i));
    a0 = madd(x, v128.load(at(k0, i)), a0);
    b0 = madd(x, v128.load(at(k1, i)), b0);
    c0 = madd(x, v128.load(at(k2, i)), c0);
    d0 = madd(x, v128.load(at(k3, i)), d0);
    i += 4;
  }
  let sa = hsum(f32x4.add(a0, a1)), sb = hsum(f32x4.add(b0, b1));
  let sc = hsum(f32x4.add(c0, c1)), sd = hsum(f32x4.add(d0, d1));
  for (; i < n; i++) {
    const x = load<f32>(at(q, i));
    sa += x * load<f32>(at(k0, i));
    sb += x * load<f32>(at(k1, i));
    sc += x * load<f32>(at(k2, i));
    sd += x * load<f32>(at(k3, i));
  }
  store<f32>(dst, sa);
  store<f32>(dst, sb, 4);
  store<f32>(dst, sc, 8);
  store<f32>(dst, sd, 12);
}

// One pass over the keys for `lanes` (1…8) vectors of columns from col on: each column's
// sum runs over the keys in order, whatever the pass, so the bits do not depend on how
// the columns are cut. Several vectors per pass keep the multiply-adds busy; one waits on
// its latency at every key.
@inline function valuesPass(
  p: usize, n: i32, kv: usize, ldkv: i32, baseRow: i32, table: usize, col: i32, lanes: i32,
  out: usize,
): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  for (let j = 0; j < n; j++) {
    const w = v128.load32_splat(at(p, j)), v = valueRow(kv, ldkv, baseRow, table, j, col);
    a0 = madd(w, v128.load(v), a0);
    if (lanes > 1) a1 = madd(w, v128.load(v, 16), a1);
    if (lanes > 2) a2 = madd(w, v128.load(v, 32), a2);
    if (lanes > 3) a3 = madd(w, v128.load(v, 48), a3);
    if (lanes > 4) a4 = madd(w, v128.load(v, 64), a4);
    if (lanes > 5) a5 = madd(w, v128.load(v, 80), a5);
    if (lanes > 6) a6 = madd(w, v128.load(v, 96), a6);
    if (lanes > 7) a7 = madd(w, v128.load(v, 112), a7);
  }
  v128.store(out, a0);
  if (lanes > 1) v128.store(out, a1, 16);
  if (lanes > 2) v128.store(out, a2, 32);
  if (lanes > 3) v128.store(out, a3, 48);
  if (lanes > 4) v128.store(out, a4, 64);
  if (lanes > 5) v128.store(out, a5, 80);
  if (lanes > 6) v128.store(out, a6, 96);
  if (lanes > 7) v128.store(out, a7, 112);
}

// out[0..dHead) = Σⱼ p[j] · V[j][0..dHead): up to 32 columns per pass over the keys (a
// head of 56 in two passes), then the last dHead % 4 one at a time.
@inline function weightedValues(
  p: usize, n: i32, kv: usize, ldkv: i32, baseRow: i32, table: usize, col: i32, dHead: i32,
  out: usize,
): void {
  let c = 0;
  for (; c + 32 <= dHead; c += 32) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 8, at(out, c));
  const left = (dHead - c) >> 2;
  if (left == 7) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 7, at(out, c));
  else if (left == 6) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 6, at(out, c));
  else if (left == 5) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 5, at(out, c));
  else if (left == 4) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 4, at(out, c));
  else if (left == 3) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 3, at(out, c));
  else if (left == 2) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 2, at(out, c));
  else if (left == 1) valuesPass(p, n, kv, ldkv, baseRow, table, col + c, 1, at(out, c));
  c += left << 2;
  for (; c < dHead; c++) {
    let a: f32 = 0;
    for (let j = 0; j < n; j++) {
      a += load<f32>(at(p, j)) * load<f32>(valueRow(kv, ldkv, baseRow, table, j, col + c));
    }
    store<f32>(at(out, c), a);
  }
}

export function attentionDecode(
  q: usize, ldq: i32, kv: usize, ldkv: i32, vOffset: i32, base: usize, table: usize, ldt: i32,
  keyLens: usize, out: usize, ldo: i32, rows: i32, heads: i32, dHead: i32, scale: f32,
): void {
  const minX = v128.load32_splat(EXP_TABLE), log2e = v128.load32_splat(EXP_TABLE, 4);
  const magic = v128.load32_splat(EXP_TABLE, 8), negLn2Hi = v128.load32_splat(EXP_TABLE, 12);
  const negLn2Lo = v128.load32_splat(EXP_TABLE, 16), c1 = v128.load32_splat(EXP_TABLE, 20);
  const c2 = v128.load32_splat(EXP_TABLE, 24), c3 = v128.load32_splat(EXP_TABLE, 28);
  const c4 = v128.load32_splat(EXP_TABLE, 32), c5 = v128.load32_splat(EXP_TABLE, 36);
  const scores = workspacePtr;
  for (let r = 0; r < rows; r++) {
    const n = load<i32>(at(keyLens, r)), baseRow = load<i32>(at(base, r));
    const keys = at(table, r * ldt);
    for (let h = 0; h < heads; h++) {
      const qh = at(q, r * ldq + h * dHead), col = h * dHead;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        dot4(
          qh, valueRow(kv, ldkv, baseRow, keys, j, col),
          valueRow(kv, ldkv, baseRow, keys, j + 1, col),
          valueRow(kv, ldkv, baseRow, keys, j + 2, col),
          valueRow(kv, ldkv, baseRow, keys, j + 3, col), dHead, at(scores, j),
        );
      }
      for (; j < n; j++) {
        store<f32>(at(scores, j), dot(qh, valueRow(kv, ldkv, baseRow, keys, j, col), dHead));
      }
      softmaxRowWith(
        scores, scores, n, n, scale, minX, log2e, magic, negLn2Hi, negLn2Lo, c1, c2, c3, c4, c5,
      );
      weightedValues(scores, n, kv, ldkv, baseRow, keys, vOffset + col, dHead, at(out, r * ldo + col));
    }
  }
}
