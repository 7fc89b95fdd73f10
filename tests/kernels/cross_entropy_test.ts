import { Runtime } from "../../src/runtime/runtime.ts";
import { crossEntropyInto } from "../../src/kernels/cross_entropy.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertClose, assertThrows, AWKWARD, numericGradient, randomArray } from "../_helpers.ts";
import { refCrossEntropy } from "../reference.ts";

Deno.test("cross-entropy matches F.cross_entropy's definition: smoothing, ignore, mean", () => {
  const rt = new Runtime();
  for (const vocab of [...AWKWARD, 1000]) {
    for (const smoothing of [0, 0.1]) {
      const rows = 6;
      const logits = randomArray(rows * vocab, vocab, 5);
      const labels = Array.from({ length: rows }, (_, r) => (r === 2 ? -100 : (r * 31) % vocab));
      const tl = rt.tensor(rows, vocab).set(logits);
      const loss = crossEntropyInto(tl, rt.ints(rows).set(labels), undefined, { smoothing });
      // The log-sum-exp is accumulated in f64 over f32 exps (relative error 1e-7).
      assertClose([loss], [refCrossEntropy(logits, labels, vocab, smoothing, -100)], {
        rtol: 1e-6,
        label: `loss V=${vocab} ε=${smoothing}`,
      });
    }
  }
});

Deno.test("cross-entropy gradient matches finite differences", () => {
  const rt = new Runtime();
  for (const vocab of [1, 3, 4, 9, 17]) {
    for (const smoothing of [0, 0.1, 0.3]) {
      const rows = 4;
      const logits = randomArray(rows * vocab, 3 * vocab, 2);
      const labels = [0, vocab - 1, 7, Math.floor(vocab / 2)].map((v, r) => (r === 2 ? 7 : v));
      const ignore = 7; // row 2 is ignored (and label 7 is also a valid class for V > 7)
      const tl = rt.tensor(rows, vocab).set(logits), g = rt.tensor(rows, vocab);
      crossEntropyInto(tl, rt.ints(rows).set(labels), g, { smoothing, ignoreIndex: ignore });
      const numeric = numericGradient(
        (x) => refCrossEntropy(x, labels, vocab, smoothing, ignore),
        logits,
      );
      assertClose(g.toArray(), numeric, { rtol: 1e-4, atol: 1e-6, label: `dlogits V=${vocab}` });
    }
  }
});

Deno.test("cross-entropy with every token ignored is 0 with zero gradient", () => {
  const rt = new Runtime();
  const tl = rt.tensor(3, 5).set(randomArray(15, 1)), g = rt.tensor(3, 5).set(randomArray(15, 2));
  const loss = crossEntropyInto(tl, rt.ints(3).set([0, 0, 0]), g, { ignoreIndex: 0 });
  assertClose([loss], [0], { rtol: 0 });
  assertClose(g.toArray(), new Float32Array(15), { rtol: 0 });
});

Deno.test("cross-entropy names a label outside the vocabulary", () => {
  const rt = new Runtime();
  assertThrows(
    () => crossEntropyInto(rt.tensor(2, 5), rt.ints(2).set([1, 5]), undefined),
    ShapeError,
    "label 5 in row 1 is outside [0, 5)",
  );
  assertThrows(
    () => crossEntropyInto(rt.tensor(2, 5), rt.ints(3), undefined),
    /3 labels for 2 rows/,
  );
});
