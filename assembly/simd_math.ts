// Vector math shared by kernels: exp and horizontal reductions.

// exp(x) for 4 lanes: x = n·ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2),
// exp(r) by a degree-5 minimax polynomial (max relative error 9.2e-8 on that range,
// coefficients as in XNNPACK's f32 rr2-p5), 2^n built in the exponent bits. n is
// rounded by adding a magic bias (1.5·2²³ + 127) whose low mantissa bits then hold
// n + 127: cheaper in V8 than nearest + trunc_sat. Inputs below -87.33 (including
// -inf) give exactly 0; inputs are assumed <= 88.
//
// The constants live in a static table and are loaded into locals by ExpConstants
// once per kernel call: a compile-time splat would be folded into the loop as a
// v128.const, which V8 rebuilds on every use.
export const EXP_MIN_X: f32 = -87.33654;
export const EXP_LOG2E: f32 = 1.4426950216293335;
export const EXP_MAGIC: f32 = 12583039.0; // 1.5·2²³ + 127
export const EXP_LN2_HI: f32 = 0.693359375;
export const EXP_LN2_LO: f32 = -2.12194440e-4;
// Stored negated, so the range reduction is two multiply-adds.
export const EXP_NEG_LN2_HI: f32 = -0.693359375;
export const EXP_NEG_LN2_LO: f32 = 2.12194440e-4;
export const EXP_C1: f32 = 0.9999997019767761;
export const EXP_C2: f32 = 0.4999915063381195;
export const EXP_C3: f32 = 0.16667652130126953;
export const EXP_C4: f32 = 0.04189782217144966;
export const EXP_C5: f32 = 0.008289290592074394;

export const EXP_TABLE: usize = memory.data<f32>([
  EXP_MIN_X, EXP_LOG2E, EXP_MAGIC, EXP_NEG_LN2_HI, EXP_NEG_LN2_LO, EXP_C1, EXP_C2, EXP_C3, EXP_C4,
  EXP_C5,
]);

// Every step a multiply-add: fused in the relaxed-SIMD build (the FMA does two operations
// in one), and exactly the separate multiply and add of before in the SIMD128 one.
// negLn2Hi and negLn2Lo are -ln2's two parts (EXP_TABLE holds them negated).
@inline export function expV(
  x: v128, minX: v128, log2e: v128, magic: v128, negLn2Hi: v128, negLn2Lo: v128,
  c5: v128, c4: v128, c3: v128, c2: v128, c1: v128,
): v128 {
  const tooSmall = f32x4.lt(x, minX);
  const xc = f32x4.pmax(x, minX); // one maxps; f32x4.max's NaN rules cost ~8
  let n = madd(xc, log2e, magic);
  const scale = i32x4.shl(n, 23);
  n = f32x4.sub(n, magic);
  let r = madd(n, negLn2Hi, xc);
  r = madd(n, negLn2Lo, r);
  let p = madd(c5, r, c4);
  p = madd(p, r, c3);
  p = madd(p, r, c2);
  p = madd(p, r, c1);
  // exp(r)·2ⁿ = 2ⁿ + (r·p)·2ⁿ, one rounding less than (1 + r·p)·2ⁿ
  const t = f32x4.mul(r, scale);
  return v128.andnot(madd(t, p, scale), tooSmall);
}

// The scalar exp of row tails: expV on one lane, so a value's exp does not depend on
// whether it fell in a vector or in the tail.
@inline export function expS(x: f32): f32 {
  return f32x4.extract_lane(
    expV(
      f32x4.splat(x), f32x4.splat(EXP_MIN_X), f32x4.splat(EXP_LOG2E), f32x4.splat(EXP_MAGIC),
      f32x4.splat(EXP_NEG_LN2_HI), f32x4.splat(EXP_NEG_LN2_LO), f32x4.splat(EXP_C5),
      f32x4.splat(EXP_C4), f32x4.splat(EXP_C3), f32x4.splat(EXP_C2), f32x4.splat(EXP_C1),
    ),
    0,
  );
}

@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline export function hmax(v: v128): f32 {
  return max(
    max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

@inline export function at(p: usize, i: i32): usize {
  return p + (<usize> i << 2);
}

// Largest of x[0..n) (-inf for n = 0). pmax is a single maxps where f32x4.max costs a
// NaN-propagating sequence; two accumulators break the dependency chain. A NaN input
// may be skipped here, but it still poisons the exp pass that follows.
export function rowMax(x: usize, n: i32): f32 {
  let m: f32 = -Infinity;
  let i = 0;
  if (n >= 8) {
    let m0 = v128.load(x), m1 = v128.load(x, 16);
    for (i = 8; i + 8 <= n; i += 8) {
      m0 = f32x4.pmax(m0, v128.load(at(x, i)));
      m1 = f32x4.pmax(m1, v128.load(at(x, i), 16));
    }
    m = hmax(f32x4.pmax(m0, m1));
  }
  for (; i < n; i++) m = max(m, load<f32>(at(x, i)));
  return m;
}

// a*b + c: fused where the relaxed-SIMD build allows it, two roundings otherwise.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
