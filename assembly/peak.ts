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

// int8Peak: the ceiling of the 8-bit products (matmulInt8's inner step: in the relaxed
// build the i8×i7 dot product of 16 pairs with its accumulator, 192 multiply-adds per
// iteration; in the SIMD128 build a 16-bit dot product of eight pairs added to an
// accumulator, 96), 12 independent chains. Each chain feeds its own accumulator back in,
// so nothing can be hoisted out of the loop. Returns a value so the work is not removed.

// Multiply-adds per iteration of int8Peak in this build.
export function int8PeakMacs(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 192 : 96;
}

// One step of a chain: the 8-bit products' instruction with its accumulation.
@inline function int8Step(x: v128, w: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(x, w, x);
  return i32x4.add(x, i32x4.dot_i16x8_s(x, w));
}

// int8Peak (described above).
export function int8Peak(iterations: i32, seed: i32): i32 {
  const w = i8x16.splat(<i8> (seed | 1));
  let x0 = i32x4.splat(1), x1 = i32x4.splat(2), x2 = i32x4.splat(3), x3 = i32x4.splat(4);
  let x4 = i32x4.splat(5), x5 = i32x4.splat(6), x6 = i32x4.splat(7), x7 = i32x4.splat(8);
  let x8 = i32x4.splat(9), x9 = i32x4.splat(10), x10 = i32x4.splat(11), x11 = i32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    x0 = int8Step(x0, w);
    x1 = int8Step(x1, w);
    x2 = int8Step(x2, w);
    x3 = int8Step(x3, w);
    x4 = int8Step(x4, w);
    x5 = int8Step(x5, w);
    x6 = int8Step(x6, w);
    x7 = int8Step(x7, w);
    x8 = int8Step(x8, w);
    x9 = int8Step(x9, w);
    x10 = int8Step(x10, w);
    x11 = int8Step(x11, w);
  }
  const s = i32x4.add(
    i32x4.add(i32x4.add(x0, x1), i32x4.add(x2, x3)),
    i32x4.add(
      i32x4.add(i32x4.add(x4, x5), i32x4.add(x6, x7)),
      i32x4.add(i32x4.add(x8, x9), i32x4.add(x10, x11)),
    ),
  );
  return i32x4.extract_lane(s, 0);
}
