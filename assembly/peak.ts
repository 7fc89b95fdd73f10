// simdPeak: 12 independent multiply-add chains of f32x4 (fused in the relaxed build, as
// the matmul is), the ceiling benchmarks compare the matmul against. Returns a value
// so the work is not removed.
import { madd } from "./simd_math";

export function simdPeak(iterations: i32, seed: f32): f32 {
  const m = f32x4.splat(seed);
  let x0 = f32x4.splat(1), x1 = f32x4.splat(2), x2 = f32x4.splat(3), x3 = f32x4.splat(4);
  let x4 = f32x4.splat(5), x5 = f32x4.splat(6), x6 = f32x4.splat(7), x7 = f32x4.splat(8);
  let x8 = f32x4.splat(9), x9 = f32x4.splat(10), x10 = f32x4.splat(11), x11 = f32x4.splat(12);
  const b = f32x4.splat(seed * 0.5);
  for (let i = 0; i < iterations; i++) {
    x0 = madd(x0, m, b);
    x1 = madd(x1, m, b);
    x2 = madd(x2, m, b);
    x3 = madd(x3, m, b);
    x4 = madd(x4, m, b);
    x5 = madd(x5, m, b);
    x6 = madd(x6, m, b);
    x7 = madd(x7, m, b);
    x8 = madd(x8, m, b);
    x9 = madd(x9, m, b);
    x10 = madd(x10, m, b);
    x11 = madd(x11, m, b);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)),
    f32x4.add(
      f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)),
      f32x4.add(f32x4.add(x8, x9), f32x4.add(x10, x11)),
    ),
  );
  return f32x4.extract_lane(s, 0);
}
