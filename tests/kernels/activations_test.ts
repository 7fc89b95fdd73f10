import { Runtime } from "../../src/runtime/runtime.ts";
import { activationBackwardInto, activationInto } from "../../src/kernels/activations.ts";
import {
  assertClose,
  assertThrows,
  AWKWARD,
  dot,
  numericGradient,
  randomArray,
} from "../_helpers.ts";
import { refGelu, refRelu } from "../reference.ts";

Deno.test("relu and gelu match the reference on awkward sizes", () => {
  const rt = new Runtime();
  for (const n of [...AWKWARD, 1000]) {
    const x = randomArray(n, n, 6);
    const tx = rt.tensor(1, n).set(x), y = rt.tensor(1, n);
    activationInto("relu", tx, y);
    assertClose(y.toArray(), refRelu(x), { rtol: 0, label: `relu ${n}` });
    activationInto("gelu", tx, y);
    // erfc approximation with relative error < 1.2e-7, evaluated in f64, rounded to f32.
    assertClose(y.toArray(), refGelu(x), { rtol: 5e-7, atol: 1e-7, label: `gelu ${n}` });
  }
});

Deno.test("gelu is exact at large |x| and at 0", () => {
  const rt = new Runtime();
  const x = [0, -10, 10, -40, 40, -3.5, 3.5];
  const tx = rt.tensor(1, x.length).set(x), y = rt.tensor(1, x.length);
  activationInto("gelu", tx, y);
  assertClose(y.toArray(), refGelu(x), { rtol: 5e-7, atol: 1e-7, label: "gelu tails" });
});

Deno.test("relu and gelu backward match finite differences", () => {
  const rt = new Runtime();
  for (const n of [1, 3, 4, 7, 33]) {
    const x = randomArray(n, 10 + n, 3).map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v)); // away from the relu kink
    const w = randomArray(n, 20 + n);
    const tx = rt.tensor(1, n).set(x), dy = rt.tensor(1, n).set(w), dx = rt.tensor(1, n);
    for (const kind of ["relu", "gelu"] as const) {
      activationBackwardInto(kind, dy, tx, dx);
      const ref = kind === "relu" ? refRelu : refGelu;
      assertClose(dx.toArray(), numericGradient((xs) => dot(w, ref(xs)), x), {
        rtol: 1e-5,
        atol: 1e-6,
        label: `d${kind} ${n}`,
      });
    }
  }
});

Deno.test("activations reject mismatched shapes", () => {
  const rt = new Runtime();
  assertThrows(() => activationInto("gelu", rt.tensor(1, 3), rt.tensor(1, 4)), /gelu: y has shape/);
});
