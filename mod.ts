/**
 * @vamos/transformer: the Transformer encoder-decoder (Vaswani et al. 2017) in Deno and
 * browsers, with every floating-point loop in WebAssembly SIMD.
 *
 * The kernels work on plain Float32Arrays:
 *
 * ```ts
 * import { ok as assert } from "node:assert/strict";
 * import { matmul, softmax } from "@vamos/transformer";
 * const c = matmul(new Float32Array([1, 2]), new Float32Array([3, 4]), 1, 2, 1);
 * assert(c[0] === 11);
 * const p = softmax(new Float32Array([1, 1]), 1, 2);
 * assert(p[0] === 0.5);
 * ```
 *
 * @module
 */
export {
  attention,
  type AttentionArrayOptions,
  layerNorm,
  matmul,
  type MatmulArrayOptions,
  softmax,
} from "./src/kernels/arrays.ts";
export { ShapeError, VamosError } from "./src/errors.ts";
