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

// out[0..dHead) = Σⱼ p[j] · V[j][0..dHead): sixteen columns at a time in registers, then
// four, then one; each pass walks the keys once.
@inline function weightedValues(
  p: usize, n: i32, kv: usize, ldkv: i32, baseRow: i32, table: usize, col: i32, dHead: i32,
  out: usize,
): void {
  let c = 0;
  for (; c + 16 <= dHead; c += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let j = 0; j < n; j++) {
      const w = v128.load32_splat(at(p, j)), v = valueRow(kv, ldkv, baseRow, table, j, col + c);
      a0 = madd(w, v128.load(v), a0);
      a1 = madd(w, v128.load(v, 16), a1);
      a2 = madd(w, v128.load(v, 32), a2);
      a3 = madd(w, v128.load(v, 48), a3);
    }
    v128.store(at(out, c), a0);
    v128.store(at(out, c), a1, 16);
    v128.store(at(out, c), a2, 32);
    v128.store(at(out, c), a3, 48);
  }
  for (; c + 4 <= dHead; c += 4) {
    let a = f32x4.splat(0);
    for (let j = 0; j < n; j++) {
      const w = v128.load32_splat(at(p, j));
      a = madd(w, v128.load(valueRow(kv, ldkv, baseRow, table, j, col + c)), a);
    }
    v128.store(at(out, c), a);
  }
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
      for (let j = 0; j < n; j++) {
        store<f32>(at(scores, j), dot(qh, valueRow(kv, ldkv, baseRow, keys, j, col), dHead));
      }
      softmaxRowWith(
        scores, scores, n, n, scale, minX, log2e, magic, negLn2Hi, negLn2Lo, c1, c2, c3, c4, c5,
      );
      weightedValues(scores, n, kv, ldkv, baseRow, keys, vOffset + col, dHead, at(out, r * ldo + col));
    }
  }
}
