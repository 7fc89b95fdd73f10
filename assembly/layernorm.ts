// layerNorm: y[N,C] = (x − mean) · rstd · gamma + beta, rstd = 1/sqrt(var + eps) with
// the biased variance (as PyTorch); saves mean[N] and rstd[N] for the backward pass.
import { at, hsum } from "./simd_math";

export function layerNormForward(
  x: usize,
  y: usize,
  gamma: usize,
  beta: usize,
  mean: usize,
  rstd: usize,
  rows: i32,
  cols: i32,
  eps: f32,
): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols);
    const yr = at(y, r * cols);
    let vs = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) vs = f32x4.add(vs, v128.load(at(xr, c)));
    let s = hsum(vs);
    for (; c < cols; c++) s += load<f32>(at(xr, c));
    const m: f32 = s / <f32> cols;
    const vm = f32x4.splat(m);
    let vq = f32x4.splat(0);
    for (c = 0; c + 4 <= cols; c += 4) {
      const d = f32x4.sub(v128.load(at(xr, c)), vm);
      vq = f32x4.add(vq, f32x4.mul(d, d));
    }
    let q = hsum(vq);
    for (; c < cols; c++) {
      const d = load<f32>(at(xr, c)) - m;
      q += d * d;
    }
    const rs: f32 = 1 / sqrt<f32>(q / <f32> cols + eps);
    const vr = f32x4.splat(rs);
    for (c = 0; c + 4 <= cols; c += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), vm), vr);
      v128.store(
        at(yr, c),
        f32x4.add(f32x4.mul(xh, v128.load(at(gamma, c))), v128.load(at(beta, c))),
      );
    }
    for (; c < cols; c++) {
      const xh = (load<f32>(at(xr, c)) - m) * rs;
      store<f32>(at(yr, c), xh * load<f32>(at(gamma, c)) + load<f32>(at(beta, c)));
    }
    store<f32>(at(mean, r), m);
    store<f32>(at(rstd, r), rs);
  }
}

// dx[N,C] (overwritten, or added to when accumulate), dgamma[C] +=, dbeta[C] +=:
//   xh = (x − mean)·rstd, g = dy·gamma, dx = rstd · (g − mean(g) − xh · mean(g·xh))
export function layerNormBackward(
  dy: usize,
  x: usize,
  gamma: usize,
  mean: usize,
  rstd: usize,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  rows: i32,
  cols: i32,
  accumulate: i32,
  paramGrads: i32,
): void {
  // paramGrads = 0 leaves dgamma and dbeta to layerNormParamGrads, so threads can
  // split this by rows and that by columns.
  const inv: f32 = 1 / <f32> cols;
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols);
    const dyr = at(dy, r * cols);
    const dxr = at(dx, r * cols);
    const vm = f32x4.splat(load<f32>(at(mean, r)));
    const rs = load<f32>(at(rstd, r));
    const vr = f32x4.splat(rs);
    let vg = f32x4.splat(0), vgx = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), vm), vr);
      const d = v128.load(at(dyr, c));
      const g = f32x4.mul(d, v128.load(at(gamma, c)));
      vg = f32x4.add(vg, g);
      vgx = f32x4.add(vgx, f32x4.mul(g, xh));
      if (paramGrads) {
        v128.store(at(dbeta, c), f32x4.add(v128.load(at(dbeta, c)), d));
        v128.store(at(dgamma, c), f32x4.add(v128.load(at(dgamma, c)), f32x4.mul(d, xh)));
      }
    }
    let sg = hsum(vg), sgx = hsum(vgx);
    const m = load<f32>(at(mean, r));
    for (; c < cols; c++) {
      const xh = (load<f32>(at(xr, c)) - m) * rs;
      const d = load<f32>(at(dyr, c));
      const g = d * load<f32>(at(gamma, c));
      sg += g;
      sgx += g * xh;
      if (paramGrads) {
        store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + d);
        store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + d * xh);
      }
    }
    const mg = sg * inv, mgx = sgx * inv;
    const vmg = f32x4.splat(mg), vmgx = f32x4.splat(mgx);
    for (c = 0; c + 4 <= cols; c += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), vm), vr);
      const g = f32x4.mul(v128.load(at(dyr, c)), v128.load(at(gamma, c)));
      let d = f32x4.mul(f32x4.sub(f32x4.sub(g, vmg), f32x4.mul(xh, vmgx)), vr);
      if (accumulate) d = f32x4.add(d, v128.load(at(dxr, c)));
      v128.store(at(dxr, c), d);
    }
    for (; c < cols; c++) {
      const xh = (load<f32>(at(xr, c)) - m) * rs;
      const g = load<f32>(at(dyr, c)) * load<f32>(at(gamma, c));
      let d = (g - mg - xh * mgx) * rs;
      if (accumulate) d += load<f32>(at(dxr, c));
      store<f32>(at(dxr, c), d);
    }
  }
}

// dgamma[C] += Σ_r dy·xh, dbeta[C] += Σ_r dy over `cols` columns of rows `ld` floats
// long, rows in order: the same sums layerNormBackward accumulates, for a column range.
export function layerNormParamGrads(
  dy: usize, x: usize, mean: usize, rstd: usize, dgamma: usize, dbeta: usize,
  rows: i32, cols: i32, ld: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * ld);
    const dyr = at(dy, r * ld);
    const m = load<f32>(at(mean, r));
    const rs = load<f32>(at(rstd, r));
    const vm = f32x4.splat(m), vr = f32x4.splat(rs);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), vm), vr);
      const d = v128.load(at(dyr, c));
      v128.store(at(dbeta, c), f32x4.add(v128.load(at(dbeta, c)), d));
      v128.store(at(dgamma, c), f32x4.add(v128.load(at(dgamma, c)), f32x4.mul(d, xh)));
    }
    for (; c < cols; c++) {
      const xh = (load<f32>(at(xr, c)) - m) * rs;
      const d = load<f32>(at(dyr, c));
      store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + d);
      store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + d * xh);
    }
  }
}
