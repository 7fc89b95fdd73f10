import { at, hsum, madd } from "./simd_math";

// Few rows (decoding one token per sentence): no packing, which would cost as much as
// the product itself. With B stored transposed (the weights of a Linear layer), four
// dot products at a time over contiguous rows of B; otherwise sixteen columns of C at a
// time, accumulated in registers.
export function f32_gemm_few_rows(
  a: usize, b: usize, c: usize, bias: usize,
  m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transB: i32, alpha: f32, accumulate: i32,
): void {
  for (let i = 0; i < m; i++) {
    const ar = at(a, i * lda);
    const cr = at(c, i * ldc);
    if (transB) f32_gemm_1x4__wasmsimd_transb(ar, b, cr, bias, n, k, ldb, alpha, accumulate);
    else f32_gemm_1x16__wasmsimd(ar, b, cr, bias, n, k, ldb, alpha, accumulate);
  }
}

// One row of A against four rows of a transposed B at a time: four dot products.
@inline function f32_gemm_1x4__wasmsimd_transb(
  ar: usize, b: usize, cr: usize, bias: usize, n: i32, k: i32, ldb: i32, alpha: f32, accumulate: i32,
): void {
  for (let j = 0; j < n; j += 4) {
    const cols = min(4, n - j);
    const b0 = at(b, j * ldb);
    const b1 = cols > 1 ? at(b, (j + 1) * ldb) : b0;
    const b2 = cols > 2 ? at(b, (j + 2) * ldb) : b0;
    const b3 = cols > 3 ? at(b, (j + 3) * ldb) : b0;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const x = v128.load(at(ar, p));
      s0 = madd(x, v128.load(at(b0, p)), s0);
      s1 = madd(x, v128.load(at(b1, p)), s1);
      s2 = madd(x, v128.load(at(b2, p)), s2);
      s3 = madd(x, v128.load(at(b3, p)), s3);
    }
    if (cols == 4) {
      // The four sums at once: transpose s0..s3 so lane q holds column q's partial
      // sums, then (l0 + l1) + (l2 + l3) per lane: hsum's order, hsum's bits.
      const u0 = i32x4.shuffle(s0, s1, 0, 4, 1, 5), u1 = i32x4.shuffle(s2, s3, 0, 4, 1, 5);
      const u2 = i32x4.shuffle(s0, s1, 2, 6, 3, 7), u3 = i32x4.shuffle(s2, s3, 2, 6, 3, 7);
      const l0 = i32x4.shuffle(u0, u1, 0, 1, 4, 5), l1 = i32x4.shuffle(u0, u1, 2, 3, 6, 7);
      const l2 = i32x4.shuffle(u2, u3, 0, 1, 4, 5), l3 = i32x4.shuffle(u2, u3, 2, 3, 6, 7);
      let d = f32x4.add(f32x4.add(l0, l1), f32x4.add(l2, l3));
      for (; p < k; p++) {
        let bv = f32x4.splat(load<f32>(at(b0, p)));
        bv = f32x4.replace_lane(bv, 1, load<f32>(at(b1, p)));
        bv = f32x4.replace_lane(bv, 2, load<f32>(at(b2, p)));
        bv = f32x4.replace_lane(bv, 3, load<f32>(at(b3, p)));
        d = f32x4.add(d, f32x4.mul(f32x4.splat(load<f32>(at(ar, p))), bv));
      }
      d = f32x4.mul(f32x4.splat(alpha), d);
      const dst = at(cr, j);
      if (accumulate) d = f32x4.add(d, v128.load(dst));
      if (bias) d = f32x4.add(d, v128.load(at(bias, j)));
      v128.store(dst, d);
      continue;
    }
    let d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
    for (; p < k; p++) {
      const x = load<f32>(at(ar, p));
      d0 += x * load<f32>(at(b0, p));
      d1 += x * load<f32>(at(b1, p));
      d2 += x * load<f32>(at(b2, p));
      d3 += x * load<f32>(at(b3, p));
    }
    for (let q = 0; q < cols; q++) {
      let v = alpha * (q == 0 ? d0 : q == 1 ? d1 : q == 2 ? d2 : d3);
      const dst = at(cr, j + q);
      if (accumulate) v += load<f32>(dst);
      if (bias) v += load<f32>(at(bias, j + q));
      store<f32>(dst, v);
    }
  }
}

// One row of A against sixteen columns of B at a time, accumulated in registers.
@inline function f32_gemm_1x16__wasmsimd(
  ar: usize, b: usize, cr: usize, bias: usize, n: i32, k: i32, ldb: i32, alpha: f32, accumulate: i32,
): void {
  const valpha = f32x4.splat(alpha);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let bp = at(b, j);
    const step = <usize> ldb << 2;
    for (let p = 0; p < k; p++) {
      const x = v128.load32_splat(at(ar, p));
      c0 = madd(x, v128.load(bp), c0);
      c1 = madd(x, v128.load(bp, 16), c1);
      c2 = madd(x, v128.load(bp, 32), c2);
      c3 = madd(x, v128.load(bp, 48), c3);
      bp += step;
    }
    const dst = at(cr, j);
    let r0 = f32x4.mul(c0, valpha), r1 = f32x4.mul(c1, valpha);
    let r2 = f32x4.mul(c2, valpha), r3 = f32x4.mul(c3, valpha);
    if (accumulate) {
      r0 = f32x4.add(r0, v128.load(dst));
      r1 = f32x4.add(r1, v128.load(dst, 16));
      r2 = f32x4.add(r2, v128.load(dst, 32));
      r3 = f32x4.add(r3, v128.load(dst, 48));
    }
    if (bias) {
      const bb = at(bias, j);
      r0 = f32x4.add(r0, v128.load(bb));
      r1 = f32x4.add(r1, v128.load(bb, 16));
      r2 = f32x4.add(r2, v128.load(bb, 32));
      r3 = f32x4.add(r3, v128.load(bb, 48));
    }
    v128.store(dst, r0);
    v128.store(dst, r1, 16);
    v128.store(dst, r2, 32);
    v128.store(dst, r3, 48);
  }
  for (; j < n; j++) {
    let d: f32 = 0;
    for (let p = 0; p < k; p++) d += load<f32>(at(ar, p)) * load<f32>(at(b, p * ldb + j));
    let v = alpha * d;
    const dst = at(cr, j);
    if (accumulate) v += load<f32>(dst);
    if (bias) v += load<f32>(at(bias, j));
    store<f32>(dst, v);
  }
}
