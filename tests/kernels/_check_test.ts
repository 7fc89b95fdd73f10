// The checks every kernel runs before touching memory: one ShapeError that names the
// kernel, the operand and what is wrong.
import { throws } from "node:assert/strict";
import {
  checkContiguous,
  checkDim,
  checkFinite,
  checkInMemory,
  checkSameRuntime,
  checkSameShape,
  checkShape,
} from "../../src/kernels/_check.ts";
import { Runtime } from "../../src/runtime/runtime.ts";
import { ShapeError } from "../../src/errors.ts";

Deno.test("each check names the kernel, the operand and the fault", () => {
  const rt = new Runtime({ threads: 1 }), other = new Runtime({ threads: 1 });
  const a = rt.tensor(2, 3), b = rt.tensor(3, 2);
  const is = (f: () => void, message: RegExp) =>
    throws(f, (e) => e instanceof ShapeError && message.test(e.message));
  is(() => checkDim("softmax", "rows", 0), /^softmax: rows must be a positive integer, got 0$/);
  is(() => checkFinite("matmul", "alpha", NaN), /matmul: alpha must be a finite number/);
  is(() => checkShape("matmul", "C", a, 3, 3), /matmul: C/);
  is(() => checkContiguous("add", "x", a.colSlice(0, 2)), /add: x must be contiguous/);
  is(() => checkSameShape("add", ["a", "b"], [a, b]), /add/);
  is(() => checkInMemory("matmul", "A", rt.tensor(0, 3)), /matmul: A is empty/);
  is(() => checkSameRuntime("matmul", [a, other.tensor(1, 1)]), /matmul/);
});
