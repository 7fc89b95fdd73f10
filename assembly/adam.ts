// Adam / AdamW over one contiguous region, step for step as torch.optim.Adam(W):
//   (Adam, L2)  g += wd·p          (AdamW)  p *= 1 − lr·wd
//   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g·g
//   p += (−stepSize·m) / (√v / bc2Sqrt + eps),  stepSize = lr/(1 − β1^t), bc2Sqrt = √(1 − β2^t)
// The host computes the bias corrections in f64, as PyTorch does in Python.
import { at } from "./simd_math";

export function adamStep(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  decoupled: i32,
  stepSize: f32,
  bc2Sqrt: f32,
): void {
  const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(1 - beta1);
  const vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(1 - beta2);
  const veps = f32x4.splat(eps), vbc2 = f32x4.splat(bc2Sqrt), vstep = f32x4.splat(-stepSize);
  const vwd = f32x4.splat(weightDecay), vdecay = f32x4.splat(1 - lr * weightDecay);
  const l2 = weightDecay != 0 && !decoupled;
  const dw = weightDecay != 0 && decoupled;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let pv = v128.load(at(p, i));
    let gv = v128.load(at(g, i));
    if (l2) gv = f32x4.add(gv, f32x4.mul(pv, vwd));
    if (dw) pv = f32x4.mul(pv, vdecay);
    const mv = f32x4.add(f32x4.mul(v128.load(at(m, i)), vb1), f32x4.mul(gv, vb1c));
    const vv = f32x4.add(f32x4.mul(v128.load(at(v, i)), vb2), f32x4.mul(f32x4.mul(vb2c, gv), gv));
    v128.store(at(m, i), mv);
    v128.store(at(v, i), vv);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc2), veps);
    v128.store(at(p, i), f32x4.add(pv, f32x4.div(f32x4.mul(vstep, mv), denom)));
  }
  for (; i < n; i++) {
    let pv = load<f32>(at(p, i));
    let gv = load<f32>(at(g, i));
    if (l2) gv += pv * weightDecay;
    if (dw) pv *= 1 - lr * weightDecay;
    const mv = load<f32>(at(m, i)) * beta1 + gv * (1 - beta1);
    const vv = load<f32>(at(v, i)) * beta2 + (1 - beta2) * gv * gv;
    store<f32>(at(m, i), mv);
    store<f32>(at(v, i), vv);
    const denom = sqrt<f32>(vv) / bc2Sqrt + eps;
    store<f32>(at(p, i), pv + (-stepSize * mv) / denom);
  }
}
