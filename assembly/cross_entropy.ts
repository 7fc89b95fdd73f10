// Cross-entropy fused with log-softmax, with label smoothing ε and an ignored label
// (padding), as PyTorch's F.cross_entropy(label_smoothing=ε, ignore_index):
//   loss_r = (1 − ε)·(lse − x[y]) + ε·(lse − mean_c x[c]),  lse = log Σ_c exp(x[c])
// returns the mean over rows whose label is not ignored (0 when every row is ignored),
// and when dlogits ≠ 0 writes its gradient (p − (1 − ε)·onehot − ε/V) / count.
import { at, EXP_TABLE, expS, expV, hsum, rowMax } from "./simd_math";

export function crossEntropy(
  logits: usize,
  labels: usize,
  dlogits: usize,
  rows: i32,
  vocab: i32,
  smoothing: f32,
  ignoreIndex: i32,
  countAll: i32,
  rowLoss: usize,
): f64 {
  // countAll > 0: the number of counted rows in the whole batch (this call may be one
  // thread's share of it); rowLoss ≠ 0: each row's loss is stored there as f64.
  let count = countAll;
  if (count <= 0) {
    count = 0;
    for (let r = 0; r < rows; r++) if (load<i32>(at(labels, r)) != ignoreIndex) count++;
  }
  const minX = v128.load32_splat(EXP_TABLE), log2e = v128.load32_splat(EXP_TABLE, 4);
  const magic = v128.load32_splat(EXP_TABLE, 8), negLn2Hi = v128.load32_splat(EXP_TABLE, 12);
  const negLn2Lo = v128.load32_splat(EXP_TABLE, 16), c1 = v128.load32_splat(EXP_TABLE, 20);
  const c2 = v128.load32_splat(EXP_TABLE, 24), c3 = v128.load32_splat(EXP_TABLE, 28);
  const c4 = v128.load32_splat(EXP_TABLE, 32), c5 = v128.load32_splat(EXP_TABLE, 36);
  const invCount: f32 = count > 0 ? 1 / <f32> count : 0;
  const offValue: f32 = smoothing / <f32> vocab;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * vocab);
    const g = dlogits ? at(dlogits, r * vocab) : 0;
    const label = load<i32>(at(labels, r));
    if (label == ignoreIndex) {
      if (g) memory.fill(g, 0, <usize> vocab << 2);
      if (rowLoss) store<f64>(rowLoss + (<usize> r << 3), 0);
      continue;
    }
    const m = rowMax(x, vocab);
    let c = 0;
    const vmax = f32x4.splat(m);
    let vsum = f32x4.splat(0), vx = f32x4.splat(0);
    for (c = 0; c + 4 <= vocab; c += 4) {
      const xv = v128.load(at(x, c));
      vx = f32x4.add(vx, xv);
      vsum = f32x4.add(
        vsum,
        expV(f32x4.sub(xv, vmax), minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1),
      );
    }
    let sum = <f64> hsum(vsum), sx = <f64> hsum(vx);
    for (; c < vocab; c++) {
      const xv = load<f32>(at(x, c));
      sx += xv;
      sum += expS(xv - m);
    }
    const lse = <f64> m + Math.log(sum);
    const nll = lse - <f64> load<f32>(at(x, label));
    const smooth = lse - sx / <f64> vocab;
    const loss = (1 - <f64> smoothing) * nll + <f64> smoothing * smooth;
    if (rowLoss) store<f64>(rowLoss + (<usize> r << 3), loss);
    total += loss;
    if (g) {
      const vinv = f32x4.splat(<f32> (1 / sum) * invCount);
      const voff = f32x4.splat(offValue * invCount);
      for (c = 0; c + 4 <= vocab; c += 4) {
        const p = expV(
          f32x4.sub(v128.load(at(x, c)), vmax),
          minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1,
        );
        v128.store(at(g, c), f32x4.sub(f32x4.mul(p, vinv), voff));
      }
      const inv = <f32> (1 / sum) * invCount;
      const off = offValue * invCount;
      for (; c < vocab; c++) store<f32>(at(g, c), expS(load<f32>(at(x, c)) - m) * inv - off);
      store<f32>(at(g, label), load<f32>(at(g, label)) - (1 - smoothing) * invCount);
    }
  }
  return count > 0 ? total / <f64> count : 0;
}
