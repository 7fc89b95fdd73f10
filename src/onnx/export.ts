/**
 * ONNX export: a model as the files transformers.js (and onnxruntime anywhere) loads
 * from a folder with `env.allowRemoteModels = false`.
 * @module
 */
import type { Transformer } from "../model/model.ts";
import { decoderGraph, encoderGraph, idSpaceOf } from "./transformer_graph.ts";
import { tokenizerConfig, tokenizerJson } from "./tokenizer_json.ts";

/** Options of {@linkcode exportOnnx}. */
export interface OnnxExportOptions {
  /**
   * Keep the matrices as 8-bit integers with a scale per row (`DequantizeLinear` in the
   * graphs, a quarter of the size): files `onnx/*_int8.onnx`, transformers.js dtype
   * `"int8"`. Default: 32-bit floats (`onnx/*.onnx`, dtype `"fp32"`).
   */
  int8?: boolean;
}

const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2) + "\n");

/**
 * The files of a model in the layout transformers.js loads: `config.json`,
 * `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`,
 * `onnx/encoder_model.onnx` and `onnx/decoder_model_merged.onnx` (`_int8` before `.onnx`
 * with `int8`), as paths relative to the folder and their bytes. Greedy decoding in
 * onnxruntime over these graphs gives this package's greedy translations.
 *
 * @example
 * ```ts
 * import { exportOnnx, statquestModel } from "@vamos/transformer";
 * import { ok } from "node:assert/strict";
 * const files = exportOnnx(statquestModel());
 * ok(files["onnx/encoder_model.onnx"].length > 0);
 * ok("tokenizer.json" in files);
 * ```
 */
export function exportOnnx(
  model: Transformer,
  options: OnnxExportOptions = {},
): Record<string, Uint8Array> {
  const c = model.config;
  const space = idSpaceOf(model);
  const suffix = options.int8 ? "_int8" : "";
  const eos = space.tokens.indexOf(model.tgtVocab.tokens[model.tgtVocab.eos]);
  const start = space.tokens.indexOf(model.tgtVocab.tokens[model.startId]);
  const config = {
    architectures: ["MarianMTModel"],
    model_type: "marian",
    is_encoder_decoder: true,
    vocab_size: space.tokens.length,
    decoder_vocab_size: space.tokens.length,
    d_model: c.dModel,
    encoder_layers: c.encoderLayers,
    decoder_layers: c.decoderLayers,
    encoder_attention_heads: c.heads,
    decoder_attention_heads: c.heads,
    encoder_ffn_dim: c.dFF,
    decoder_ffn_dim: c.dFF,
    activation_function: c.activation,
    max_position_embeddings: c.maxLen,
    max_length: c.maxLen,
    scale_embedding: c.scaleEmbedding,
    share_encoder_decoder_embeddings: c.shareEmbeddings,
    tie_word_embeddings: c.tieOutput,
    decoder_start_token_id: start,
    eos_token_id: eos,
    pad_token_id: eos,
    num_beams: 1,
    "transformers.js_config": { dtype: options.int8 ? "int8" : "fp32" },
    vamos_config: c,
  };
  const generation = {
    decoder_start_token_id: start,
    eos_token_id: eos,
    pad_token_id: eos,
    max_length: c.maxLen,
    num_beams: 1,
  };
  return {
    "config.json": json(config),
    "generation_config.json": json(generation),
    "tokenizer.json": json(tokenizerJson(model, space)),
    "tokenizer_config.json": json(tokenizerConfig(model, space)),
    [`onnx/encoder_model${suffix}.onnx`]: encoderGraph(model, options),
    [`onnx/decoder_model_merged${suffix}.onnx`]: decoderGraph(model, options),
  };
}
