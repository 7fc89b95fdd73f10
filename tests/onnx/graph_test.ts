// The ONNX graph builder: a small graph (inputs, an initializer, constants, attributes)
// written as ModelProto bytes that onnxruntime-node loads and runs to the right numbers.
import { deepEqual, throws } from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { OnnxGraph } from "../../src/onnx/graph.ts";

Deno.test("a built graph runs in onnxruntime", async () => {
  const g = new OnnxGraph("test");
  const x = g.input("x", "float32", ["batch", 3]);
  const w = g.initializer("w", {
    dtype: "float32",
    dims: [3, 2],
    data: new Float32Array([1, 0, 0, 1, 1, 1]),
  });
  const y = g.op("MatMul", [x, w]);
  const z = g.op("Add", [y, g.floats([0.5, -0.5], [2])]);
  const s = g.op("Softmax", [z], { axis: -1 });
  g.output(s, "p", "float32", ["batch", 2]);
  g.output(g.op("Cast", [g.op("Shape", [x])], { to: 1 }), "dims", "float32", [2]);
  const session = await ort.InferenceSession.create(g.toModel({ doc: "test graph" }));
  const out = await session.run({
    x: new ort.Tensor("float32", new Float32Array([1, 2, 3, 0, 0, 0]), [2, 3]),
  });
  // Row 1: [1+3, 2+3] + [0.5, -0.5] = [4.5, 4.5]: softmax [0.5, 0.5]; row 2: [0.5, -0.5].
  const p = [...(out.p.data as Float32Array)].map((v) => Math.round(v * 1e4) / 1e4);
  deepEqual(p, [0.5, 0.5, 0.7311, 0.2689]);
  deepEqual([...(out.dims.data as Float32Array)], [2, 3]);
  await session.release();
});

Deno.test("an input or output name that is taken is refused, not written twice", () => {
  const g = new OnnxGraph("names");
  const x = g.input("x", "float32", [1]);
  throws(() => g.input("x", "float32", [1]), /the name "x" is already taken/);
  const s = g.op("Shape", [x]); // named "shape" by its op
  throws(() => g.output(g.op("Neg", [x]), s, "float32", [1]), /"shape" is already taken/);
});
