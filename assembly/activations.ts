// Activations, forward and backward: relu, and gelu with the exact erf form
// (PyTorch's default, approximate='none'): gelu(x) = x · Φ(x), Φ(x) = (1 + erf(x/√2))/2.
import { at } from "./simd_math";

export function reluForward(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.pmax(v128.load(at(x, i)), zero));
  for (; i < n; i++) store<f32>(at(y, i), max<f32>(load<f32>(at(x, i)), 0));
}

// dx = dy where x > 0, else 0 (dx may alias dy).
export function reluBackward(dy: usize, x: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const keep = f32x4.gt(v128.load(at(x, i)), zero);
    v128.store(at(dx, i), v128.and(v128.load(at(dy, i)), keep));
  }
  for (; i < n; i++) store<f32>(at(dx, i), load<f32>(at(x, i)) > 0 ? load<f32>(at(dy, i)) : 0);
}

// erfc(z) with fractional error below 1.2e-7 everywhere (Numerical Recipes §6.2,
// Chebyshev fit), computed in f64.
function erfc(z: f64): f64 {
  const a = abs(z);
  const t = 1 / (1 + 0.5 * a);
  const r = t * Math.exp(
    -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return z >= 0 ? r : 2 - r;
}

@inline function phi(x: f64): f64 {
  return 0.5 * erfc(-x * 0.7071067811865476);
}

export function geluForward(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = <f64> load<f32>(at(x, i));
    store<f32>(at(y, i), <f32> (v * phi(v)));
  }
}

// dx = dy · (Φ(x) + x·φ(x)), φ the standard normal density (dx may alias dy).
export function geluBackward(dy: usize, x: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = <f64> load<f32>(at(x, i));
    const pdf = 0.3989422804014327 * Math.exp(-0.5 * v * v);
    store<f32>(at(dx, i), <f32> (<f64> load<f32>(at(dy, i)) * (phi(v) + v * pdf)));
  }
}
