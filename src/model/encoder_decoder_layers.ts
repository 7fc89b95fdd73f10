/**
 * The encoder layer and the decoder layer, written once from layers.ts's blocks: each
 * takes its attention steps as arguments, so training (whole sequences with the backward),
 * decoding (one cached step per token) and `--explain` (traced) run the same layer.
 * @module
 */
import type { Tensor } from "../runtime/runtime.ts";
import type {
  AttentionParams,
  DecoderLayerParams,
  EncoderLayerParams,
  NormParams,
} from "./config.ts";
import {
  type Backward,
  chain,
  feedForward,
  noBackward,
  norm,
  type Pass,
  residual,
} from "./layers.ts";

/**
 * One attention sublayer's computation on its (normalized) input: over whole sequences
 * with its backward (training, scoring), or one cached step ({@linkcode noBackward}).
 */
export type AttentionStep = (h: Tensor, a: AttentionParams) => [Tensor, Backward];

// Residual sublayers one after another; the backward runs them in reverse.
function sublayers(
  pass: Pass,
  x: Tensor,
  list: readonly (readonly [NormParams, (h: Tensor) => [Tensor, Backward]] | undefined)[],
): [Tensor, Backward] {
  const backs: Backward[] = [];
  for (const s of list) {
    if (!s) continue;
    let back: Backward;
    [x, back] = residual(pass, s[0], x, s[1]);
    backs.push(back);
  }
  return [x, chain(backs)];
}

/** One encoder layer: self-attention, then the feed-forward network, each residual. */
export function encoderLayer(
  pass: Pass,
  layer: EncoderLayerParams,
  x: Tensor,
  selfAttention: AttentionStep,
): [Tensor, Backward] {
  const ff = layer.feedForward;
  return sublayers(pass, x, [
    [layer.norm1, (h) => selfAttention(h, layer.selfAttn)],
    ff && [layer.norm2, (h) => feedForward(pass, ff, h)],
  ]);
}

/**
 * One decoder layer: masked self-attention, encoder-decoder attention and the
 * feed-forward network, each residual. Training, decoding step by step and `--explain`
 * all run this; only the attention steps differ.
 */
export function decoderLayer(
  pass: Pass,
  layer: DecoderLayerParams,
  x: Tensor,
  selfAttention: AttentionStep,
  crossAttention: AttentionStep,
): [Tensor, Backward] {
  const ff = layer.feedForward;
  return sublayers(pass, x, [
    [layer.norm1, (h) => selfAttention(h, layer.selfAttn)],
    [layer.norm2, (h) => crossAttention(h, layer.crossAttn)],
    ff && [layer.norm3, (h) => feedForward(pass, ff, h)],
  ]);
}

/** A stack's final norm, when the config has one (identity otherwise). */
export function finalNorm(pass: Pass, n: NormParams | undefined, x: Tensor): [Tensor, Backward] {
  return n ? norm(pass, n, x) : [x, noBackward];
}
