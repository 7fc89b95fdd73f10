// Vector math shared by kernels: exp and horizontal reductions.

// exp(x) for 4 lanes: x = n·ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2),
// exp(r) by a degree-5 minimax polynomial (max relative error 9.2e-8 on that range,
// coefficients as in XNNPACK's f32 rr2-p5), 2^n built in the exponent bits.
// Inputs below -87.33 (including -inf) give exactly 0; inputs are assumed <= 88.
// The constants come from the caller's locals (see EXP_* and expConstants usage):
// a splat constant inside a hot loop is rebuilt by V8 on every use.
export function expV(
  x: v128,
  minX: v128,
  log2e: v128,
  ln2Hi: v128,
  ln2Lo: v128,
  c5: v128,
  c4: v128,
  c3: v128,
  c2: v128,
  c1: v128,
  one: v128,
  bias: v128,
): v128 {
  const tooSmall = f32x4.lt(x, minX);
  const xc = f32x4.max(x, minX);
  const n = f32x4.nearest(f32x4.mul(xc, log2e));
  let r = f32x4.sub(xc, f32x4.mul(n, ln2Hi));
  r = f32x4.sub(r, f32x4.mul(n, ln2Lo));
  let p = f32x4.add(f32x4.mul(c5, r), c4);
  p = f32x4.add(f32x4.mul(p, r), c3);
  p = f32x4.add(f32x4.mul(p, r), c2);
  p = f32x4.add(f32x4.mul(p, r), c1);
  p = f32x4.add(f32x4.mul(p, r), one);
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), bias), 23);
  return v128.andnot(f32x4.mul(p, scale), tooSmall);
}

export const EXP_MIN_X: f32 = -87.33654;
export const EXP_LOG2E: f32 = 1.4426950216293335;
export const EXP_LN2_HI: f32 = 0.693359375;
export const EXP_LN2_LO: f32 = -2.12194440e-4;
export const EXP_C1: f32 = 0.9999997019767761;
export const EXP_C2: f32 = 0.4999915063381195;
export const EXP_C3: f32 = 0.16667652130126953;
export const EXP_C4: f32 = 0.04189782217144966;
export const EXP_C5: f32 = 0.008289290592074394;

// Scalar twin of expV for row tails, same constants and steps, so a value's exp does
// not depend on whether it fell in a vector or in the tail.
export function expS(x: f32): f32 {
  if (x < EXP_MIN_X) return 0;
  const n = nearest<f32>(x * EXP_LOG2E);
  let r = x - n * EXP_LN2_HI;
  r = r - n * EXP_LN2_LO;
  let p = EXP_C5 * r + EXP_C4;
  p = p * r + EXP_C3;
  p = p * r + EXP_C2;
  p = p * r + EXP_C1;
  p = p * r + 1;
  return p * reinterpret<f32>((<i32> n + 127) << 23);
}

export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

export function hmax(v: v128): f32 {
  return max(
    max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

export function at(p: usize, i: i32): usize {
  return p + (<usize> i << 2);
}
