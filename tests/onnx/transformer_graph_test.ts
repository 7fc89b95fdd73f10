// The model's graphs: the id space shared with the tokenizer (one vocabulary, or the
// StatQuest model's two joined, target first), and graphs that load in onnxruntime with
// the inputs and outputs transformers.js asks for.
import { deepEqual, equal, ok } from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { decoderGraph, encoderGraph, idSpaceOf } from "../../src/onnx/transformer_graph.ts";
import { statquestModel } from "../../models/statquest.ts";

Deno.test("the StatQuest model's id space joins its vocabularies, target ids first", () => {
  const m = statquestModel(1);
  try {
    const s = idSpaceOf(m);
    equal(s.shared, false);
    deepEqual(s.tokens.slice(0, m.tgtVocab.size), m.tgtVocab.tokens);
    equal(s.toSource[s.tokens.indexOf("let's")], m.srcVocab.id("let's"));
    equal(s.toTarget[s.tokens.indexOf("let's")], -1);
  } finally {
    m.close();
  }
});

Deno.test("the graphs load with transformers.js's input and output names", async () => {
  const m = statquestModel(1);
  try {
    const enc = await ort.InferenceSession.create(encoderGraph(m));
    deepEqual([...enc.inputNames], ["input_ids", "attention_mask"]);
    deepEqual([...enc.outputNames], ["last_hidden_state"]);
    const dec = await ort.InferenceSession.create(decoderGraph(m, { int8: true }));
    ok(dec.inputNames.includes("past_key_values.0.decoder.key"));
    equal(dec.outputNames[0], "logits");
    ok(dec.outputNames.includes(`present.${m.config.decoderLayers - 1}.encoder.value`));
    await enc.release();
    await dec.release();
  } finally {
    m.close();
  }
});
