// Cross-entropy fused with log-softmax, with label smoothing ε and an ignored label
// (padding), as PyTorch's F.cross_entropy(label_smoothing=ε, ignore_index):
//   loss_r = (1 − ε)·(lse − x[y]) + ε·(lse − mean_c x[c]),  lse = log Σ_c exp(x[c])
// returns the mean over rows whose label is not ignored (0 when every row is ignored),
// and when dlogits ≠ 0 writes its gradient (p − (1 − ε)·onehot − ε/V) / count.
import {
  at,
  EXP_C1,
  EXP_C2,
  EXP_C3,
  EXP_C4,
  EXP_C5,
  EXP_LN2_HI,
  EXP_LN2_LO,
  EXP_LOG2E,
  EXP_MIN_X,
  expS,
  expV,
  hmax,
  hsum,
} from "./simd_math";

export function crossEntropy(
  logits: usize,
  labels: usize,
  dlogits: usize,
  rows: i32,
  vocab: i32,
  smoothing: f32,
  ignoreIndex: i32,
): f64 {
  let count = 0;
  for (let r = 0; r < rows; r++) if (load<i32>(at(labels, r)) != ignoreIndex) count++;
  const minX = f32x4.splat(EXP_MIN_X), log2e = f32x4.splat(EXP_LOG2E);
  const ln2Hi = f32x4.splat(EXP_LN2_HI), ln2Lo = f32x4.splat(EXP_LN2_LO);
  const c1 = f32x4.splat(EXP_C1), c2 = f32x4.splat(EXP_C2), c3 = f32x4.splat(EXP_C3);
  const c4 = f32x4.splat(EXP_C4), c5 = f32x4.splat(EXP_C5);
  const one = f32x4.splat(1), bias = i32x4.splat(127);
  const invCount: f32 = count > 0 ? 1 / <f32> count : 0;
  const offValue: f32 = smoothing / <f32> vocab;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * vocab);
    const g = dlogits ? at(dlogits, r * vocab) : 0;
    const label = load<i32>(at(labels, r));
    if (label == ignoreIndex) {
      if (g) memory.fill(g, 0, <usize> vocab << 2);
      continue;
    }
    let c = 0;
    let m: f32 = -Infinity;
    if (vocab >= 4) {
      let vm = v128.load(x);
      for (c = 4; c + 4 <= vocab; c += 4) vm = f32x4.max(vm, v128.load(at(x, c)));
      m = hmax(vm);
    }
    for (; c < vocab; c++) m = max(m, load<f32>(at(x, c)));
    const vmax = f32x4.splat(m);
    let vsum = f32x4.splat(0), vx = f32x4.splat(0);
    for (c = 0; c + 4 <= vocab; c += 4) {
      const xv = v128.load(at(x, c));
      vx = f32x4.add(vx, xv);
      vsum = f32x4.add(
        vsum,
        expV(f32x4.sub(xv, vmax), minX, log2e, ln2Hi, ln2Lo, c5, c4, c3, c2, c1, one, bias),
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
    total += (1 - <f64> smoothing) * nll + <f64> smoothing * smooth;
    if (g) {
      const vinv = f32x4.splat(<f32> (1 / sum) * invCount);
      const voff = f32x4.splat(offValue * invCount);
      for (c = 0; c + 4 <= vocab; c += 4) {
        const p = expV(
          f32x4.sub(v128.load(at(x, c)), vmax),
          minX,
          log2e,
          ln2Hi,
          ln2Lo,
          c5,
          c4,
          c3,
          c2,
          c1,
          one,
          bias,
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
