// The wasm module's exports: every kernel takes byte offsets into the imported memory.
export { heapBase, setWorkspace } from "./workspace";
export { matmul, MATMUL_TILE_COLS, MATMUL_TILE_ROWS, MATMUL_WORKSPACE_BYTES } from "./matmul";
export { int8WorkspaceBytes, matmulInt8, matmulInt8List, prepareInt8Weights } from "./matmul_int8";
export { softmaxBackward, softmaxForward } from "./softmax";
export { attentionBackward, attentionForward } from "./attention_fused8";
export { attentionBackwardBlocked, attentionForwardBlocked } from "./attention_blocked";
export { attentionDecode } from "./attention_decode";
export { layerNormBackward, layerNormForward, layerNormParamGrads } from "./layernorm";
export { geluBackward, geluForward, reluBackward, reluForward } from "./activations";
export {
  add, dropoutBackward, dropoutForward, scale, sumRows, sumSquares, zeroBytes,
} from "./elementwise";
export { embeddingBackward, embeddingForward, positionalEncoding } from "./embedding";
export { crossEntropy } from "./cross_entropy";
export { adamStep } from "./adam";
export { int8Peak, int8PeakMacs, simdPeak } from "./peak";
export { topK } from "./top_k";
