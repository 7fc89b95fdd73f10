// Parity with PyTorch: fixtures written by tools/torch_fixtures.py (PyTorch 1.13's
// nn.Transformer, or a hand-built module for the StatQuest model) hold the weights, a padded
// batch, and what PyTorch computed from them: logits, loss, every gradient, the
// parameters after one Adam step and the greedy decoding.
import { deepEqual } from "node:assert/strict";
import { loadCheckpoint } from "../../src/checkpoint/checkpoint.ts";
import {
  parseSafetensors,
  readTensor,
  type TensorToWrite,
  writeSafetensors,
} from "../../src/checkpoint/safetensors.ts";
import { Adam } from "../../src/train/optimizer.ts";

const CASES = ["post_norm_relu", "pre_norm_gelu", "vocab_and_lengths", "textbook_toy"];
const dir = new URL("../fixtures/torch/", import.meta.url);

interface Fixture {
  src: number[][];
  tgt_in: number[][];
  labels: number[][];
  loss: number;
  smoothing: number;
  adam: { lr: number; beta1: number; beta2: number; eps: number };
  greedy: number[][];
}

// Splits a fixture into the checkpoint (the weights) and the expected tensors.
function open(bytes: Uint8Array) {
  const file = parseSafetensors(bytes);
  const expected = new Map<string, Float32Array>();
  const keep: TensorToWrite[] = [];
  for (const [name, t] of file.tensors) {
    const data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    readTensor(file, name, data);
    if (name.startsWith("expected.")) expected.set(name.slice("expected.".length), data);
    else keep.push({ name, shape: t.shape, data });
  }
  const { fixture, ...metadata } = file.metadata;
  return {
    checkpoint: loadCheckpoint(writeSafetensors(keep, metadata)),
    expected,
    fixture: JSON.parse(fixture) as Fixture,
  };
}

// Largest |a − e| over the tensor, relative to the tensor's largest |e|; names the element.
function worst(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  let scale = 0, err = 0, at = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= err)) {
      err = d;
      at = i;
    }
  }
  return { rel: err / (scale || 1), abs: err, at, actual: actual[at], expected: expected[at] };
}

function check(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  mode: "rel" | "abs",
) {
  const w = worst(actual, expected);
  const v = mode === "rel" ? w.rel : w.abs;
  if (!(v <= tol)) {
    throw new Error(
      `${what}: worst element ${w.at} is ${w.actual}, PyTorch has ${w.expected} ` +
        `(${mode === "rel" ? "relative" : "absolute"} error ${v.toExponential(2)} > ${tol})`,
    );
  }
  return v;
}

export const worstErrors: Record<string, Record<string, number>> = {};

for (const name of CASES) {
  Deno.test(`PyTorch parity (${name}): logits, loss, gradients, Adam step, greedy tokens`, async () => {
    const { checkpoint, expected, fixture } = open(
      await Deno.readFile(new URL(`${name}.safetensors`, dir)),
    );
    const model = checkpoint.model;
    const errors: Record<string, number> = {};
    // Greedy decoding first, from the initial weights (as the fixture did).
    deepEqual(
      model.translateIds(fixture.src, model.config.maxLen - 1),
      fixture.greedy,
      "greedy tokens",
    );
    // Logits within 1e-5 of their scale.
    errors.logits = check(
      "logits",
      model.logits(fixture.src, fixture.tgt_in),
      expected.get("logits")!,
      1e-5,
      "rel",
    );
    // Loss within 1e-6, and every gradient within 1e-4 of its tensor's scale.
    const loss = model.core.loss(fixture.src, fixture.tgt_in, fixture.labels, {
      backward: true,
      smoothing: fixture.smoothing,
    });
    errors.loss = check("loss", [loss], [fixture.loss], 1e-6, "abs");
    // The worst error over every parameter tensor, each against the fixture's `key.name`.
    const params = model.core.params;
    const checkEach = (
      what: string,
      key: string,
      of: (name: string) => Float32Array,
      tol: number,
      mode: "rel" | "abs",
    ) =>
      Math.max(
        ...params.entries.map((e) =>
          check(`${what} ${e.name}`, of(e.name), expected.get(`${key}.${e.name}`)!, tol, mode)
        ),
      );
    errors.gradients = checkEach(
      "gradient of",
      "grad",
      (n) => params.grad(n).toArray(),
      1e-4,
      "rel",
    );
    // One Adam step, parameters within 1e-6. It starts from PyTorch's gradients, checked
    // equal to ours above: some true gradients are exactly zero (the key bias cannot change
    // a softmax), and Adam's first step maps any rounding noise there to ±lr, in both.
    for (const e of params.entries) params.grad(e.name).set(expected.get(`grad.${e.name}`)!);
    const adam = new Adam(params, model.config.dModel, {
      schedule: "constant",
      lr: fixture.adam.lr,
      beta1: fixture.adam.beta1,
      beta2: fixture.adam.beta2,
      eps: fixture.adam.eps,
    });
    adam.update();
    errors.adam = checkEach(
      "after one Adam step:",
      "adam",
      (n) => params.get(n).toArray(),
      1e-6,
      "abs",
    );
    worstErrors[name] = errors;
    if (Deno.env.get("PARITY_REPORT")) console.log(name, JSON.stringify(errors));
  });
}
