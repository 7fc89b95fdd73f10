/**
 * @vamos/transformer: the Transformer encoder-decoder (Vaswani et al. 2017) in Deno and
 * browsers, with every floating-point loop in WebAssembly SIMD.
 *
 * Translate with the StatQuest model, or create, train, save and load your own model:
 *
 * ```ts
 * import { statquestModel } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * equal(statquestModel().translate("let's go"), "vamos");
 * ```
 *
 * The kernels also work on plain Float32Arrays:
 *
 * ```ts
 * import { matmul, softmax } from "@vamos/transformer";
 * import { ok as assert } from "node:assert/strict";
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
export type { Activation } from "./src/kernels/activations.ts";
export type { AttentionMaps } from "./src/model/transformer_core.ts";
export type { Example } from "./src/train/batches.ts";
export {
  CONFIG_LIMITS,
  configFromPreset,
  MAX_MODEL_BYTES,
  type NormPlacement,
  type PresetName,
  PRESETS,
  type TransformerConfig,
} from "./src/model/config.ts";
export {
  createModel,
  type CreateModelOptions,
  createSubwordModel,
  type SentenceAttention,
  type SubwordModelOptions,
  Transformer,
} from "./src/model/model.ts";
export { createStatquestModel, statquestModel } from "./models/statquest.ts";
export {
  type AttentionRow,
  explain,
  type ExplainIdea,
  type ExplainStep,
  type Explanation,
  type LabelledVector,
  type OutputWord,
  type QueryKeyValue,
} from "./src/model/explain.ts";
export { formatExplanation } from "./src/cli/explain_text.ts";
export { type BatchOptions, type TextResult } from "./src/model/batch_translate.ts";
export {
  type ChannelModel,
  DEFAULT_CHANNEL_MARGIN,
  DEFAULT_CHANNEL_WEIGHT,
  type RerankOptions,
} from "./src/model/rerank.ts";
export { Shortlist } from "./src/model/shortlist.ts";
export { learnShortlist, type ShortlistOptions } from "./src/train/shortlist.ts";
export { splitSentences } from "./src/text/sentences.ts";
export type { MaskedText } from "./src/text/verbatim.ts";
export { type DefaultModelOptions, loadDefaultModel } from "./models/loader.ts";
export { fetchCheckpointBytes } from "./src/host/fetch_model.ts";
export { EOS, SOS, UNK, UnknownTokenError, Vocabulary } from "./src/text/vocabulary.ts";
export { detokenizeWords, tokenizeWords } from "./src/text/word_tokenizer.ts";
export { type TextCodec, WordCodec } from "./src/text/codec.ts";
export { BpeCodec, type BpeTrainOptions } from "./src/text/bpe.ts";
export { type BleuScore, corpusBleu, corpusChrf, exactMatch } from "./src/train/metrics.ts";
export { parseTsv } from "./src/train/data.ts";
export {
  type SentencePair,
  type StepInfo,
  train,
  trainAsync,
  TrainingDivergedError,
  type TrainOptions,
} from "./src/train/train.ts";
export { Adam, type OptimizerOptions } from "./src/train/optimizer.ts";
export {
  CheckpointError,
  loadCheckpoint,
  type LoadedCheckpoint,
  loadModel,
  type LoadOptions,
  saveModel,
  type SaveOptions,
} from "./src/checkpoint/checkpoint.ts";
export { MAX_HEADER_BYTES } from "./src/checkpoint/safetensors.ts";
export { averageCheckpoints } from "./src/checkpoint/average.ts";
export { exportOnnx, type OnnxExportOptions } from "./src/onnx/export.ts";
