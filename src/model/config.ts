/**
 * The configuration of a Transformer: every switch between the StatQuest model and the
 * 2017 paper is a field here, and the named presets set them.
 * @module
 */
import { VamosError } from "../errors.ts";
import type { Activation } from "../kernels/activations.ts";

/** Where layer normalization goes: after each residual add (the paper), before each
 * sublayer (pre-norm), or nowhere (the StatQuest model). */
export type NormPlacement = "post" | "pre" | "none";

/** Everything that defines the shape and behaviour of a model. */
export interface TransformerConfig {
  /** Source (English) vocabulary size. */
  srcVocab: number;
  /** Target (Spanish) vocabulary size. */
  tgtVocab: number;
  /** Values per token (d_model). */
  dModel: number;
  /** Attention heads; dModel must be a multiple. */
  heads: number;
  /** Encoder layers. */
  encoderLayers: number;
  /** Decoder layers. */
  decoderLayers: number;
  /** Feed-forward inner size; 0 leaves the feed-forward sublayer out. */
  dFF: number;
  /** Feed-forward activation. */
  activation: Activation;
  /** Layer normalization placement. */
  norm: NormPlacement;
  /** A final layer norm after each stack, as nn.Transformer has (ignored when norm is "none"). */
  finalNorm: boolean;
  /** Scale Q·Kᵀ by 1/√(dModel/heads) (the paper) or not (the StatQuest model). */
  scaleAttention: boolean;
  /** Multiply embeddings by √dModel (the paper, §3.4). */
  scaleEmbedding: boolean;
  /** Source and target share one embedding table (needs equal vocabularies). */
  shareEmbeddings: boolean;
  /** The output layer reuses the target embedding table (no generator weight). */
  tieOutput: boolean;
  /** Biases in the attention projections (nn.MultiheadAttention has them). */
  attentionBias: boolean;
  /** An output projection after attention (nn.MultiheadAttention has one; the StatQuest model not). */
  attentionOutProj: boolean;
  /** Dropout rate on embeddings, sublayer outputs and the feed-forward inner layer. */
  dropout: number;
  /** Layer norm epsilon. */
  normEps: number;
  /** The first decoder input: "eos" as in the textbook, or "sos". */
  startToken: "eos" | "sos";
  /** Longest sequence (positions encoded), start and end tokens included. */
  maxLen: number;
}

/** The names of the presets. */
export type PresetName = "statquest" | "small" | "base" | "translator";

const COMMON: Omit<TransformerConfig, "srcVocab" | "tgtVocab"> = {
  dModel: 512,
  heads: 8,
  encoderLayers: 6,
  decoderLayers: 6,
  dFF: 2048,
  activation: "relu",
  norm: "post",
  finalNorm: true,
  scaleAttention: true,
  scaleEmbedding: true,
  shareEmbeddings: false,
  tieOutput: false,
  attentionBias: true,
  attentionOutProj: true,
  dropout: 0.1,
  normEps: 1e-5,
  startToken: "sos",
  maxLen: 128,
};

/** The presets: `statquest` (the StatQuest model), `small` (trains in minutes on 2 cores),
 * `base` (Vaswani et al. 2017, Table 3), `translator` (the shipped English→Spanish
 * model: shared subword vocabulary, tied embeddings, sized so that its 32-bit weights
 * with 8,000 tokens stay under 16 MB). */
export const PRESETS: Record<PresetName, Omit<TransformerConfig, "srcVocab" | "tgtVocab">> = {
  statquest: {
    ...COMMON,
    dModel: 2,
    heads: 1,
    encoderLayers: 1,
    decoderLayers: 1,
    dFF: 0,
    norm: "none",
    finalNorm: false,
    scaleAttention: false,
    scaleEmbedding: false,
    attentionBias: false,
    attentionOutProj: false,
    dropout: 0,
    startToken: "eos",
    maxLen: 8,
  },
  small: {
    ...COMMON,
    dModel: 128,
    heads: 4,
    encoderLayers: 2,
    decoderLayers: 2,
    dFF: 512,
    maxLen: 64,
  },
  base: { ...COMMON },
  translator: {
    ...COMMON,
    dModel: 192,
    heads: 4,
    encoderLayers: 2,
    decoderLayers: 2,
    dFF: 768,
    shareEmbeddings: true,
    tieOutput: true,
    maxLen: 64,
  },
};

/** A full configuration from a preset, with vocabulary sizes and any overrides. */
export function configFromPreset(
  preset: PresetName,
  vocab: { srcVocab: number; tgtVocab: number },
  overrides: Partial<TransformerConfig> = {},
): TransformerConfig {
  const base = PRESETS[preset];
  if (!base) {
    throw new VamosError(
      `Unknown preset "${preset}": use one of ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  return validateConfig({ ...base, ...vocab, ...overrides });
}

/**
 * The largest value each size field may take. They keep every model this package can
 * create or load within wasm's 4 GiB and decoding bounded in time (maxLen caps the
 * tokens of a translation); see also {@linkcode MAX_MODEL_BYTES}.
 *
 * @example
 * ```ts
 * import { CONFIG_LIMITS, configFromPreset } from "@vamos/transformer";
 * import { throws } from "node:assert/strict";
 * const vocab = { srcVocab: 10, tgtVocab: 10 };
 * throws(() => configFromPreset("small", vocab, { maxLen: CONFIG_LIMITS.maxLen + 1 }));
 * ```
 */
export const CONFIG_LIMITS = {
  srcVocab: 1_000_000,
  tgtVocab: 1_000_000,
  dModel: 8192,
  heads: 256,
  encoderLayers: 64,
  decoderLayers: 64,
  dFF: 65536,
  maxLen: 1024,
} as const;

/**
 * The largest parameter memory (values and gradients, 8 bytes a parameter) a config may
 * need: 2 GiB, half of what wasm32 can address.
 *
 * @example
 * ```ts
 * import { MAX_MODEL_BYTES } from "@vamos/transformer";
 * console.log(MAX_MODEL_BYTES / 8, "parameters at most");
 * ```
 */
export const MAX_MODEL_BYTES = 2 ** 31;

const FIELDS: Record<keyof TransformerConfig, "int" | "boolean" | "other"> = {
  srcVocab: "int",
  tgtVocab: "int",
  dModel: "int",
  heads: "int",
  encoderLayers: "int",
  decoderLayers: "int",
  dFF: "int",
  activation: "other",
  norm: "other",
  finalNorm: "boolean",
  scaleAttention: "boolean",
  scaleEmbedding: "boolean",
  shareEmbeddings: "boolean",
  tieOutput: "boolean",
  attentionBias: "boolean",
  attentionOutProj: "boolean",
  dropout: "other",
  normEps: "other",
  startToken: "other",
  maxLen: "other",
};

function intField(c: TransformerConfig, name: keyof typeof CONFIG_LIMITS, min: number): void {
  const v = c[name];
  const max = CONFIG_LIMITS[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new VamosError(
      `Invalid config: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
    );
  }
}

/**
 * Checks every field (types, ranges, consistency, the memory estimate) and returns the
 * config; throws a VamosError naming the first bad one. Unknown fields are errors too.
 */
export function validateConfig(c: TransformerConfig): TransformerConfig {
  if (typeof c !== "object" || c === null || Array.isArray(c)) {
    throw new VamosError("Invalid config: not an object");
  }
  for (const k of Object.keys(c)) {
    if (!Object.hasOwn(FIELDS, k)) throw new VamosError(`Invalid config: unknown field "${k}"`);
  }
  for (const k of Object.keys(FIELDS) as (keyof TransformerConfig)[]) {
    if (!Object.hasOwn(c, k)) throw new VamosError(`Invalid config: "${k}" is missing`);
    if (FIELDS[k] === "boolean" && typeof c[k] !== "boolean") {
      throw new VamosError(
        `Invalid config: ${k} must be true or false, got ${JSON.stringify(c[k])}`,
      );
    }
  }
  intField(c, "srcVocab", 1);
  intField(c, "tgtVocab", 1);
  intField(c, "dModel", 1);
  intField(c, "heads", 1);
  intField(c, "encoderLayers", 0);
  intField(c, "decoderLayers", 1);
  intField(c, "dFF", 0);
  intField(c, "maxLen", 2);
  if (c.dModel % c.heads !== 0) {
    throw new VamosError(
      `Invalid config: dModel ${c.dModel} is not a multiple of heads ${c.heads}`,
    );
  }
  if (c.activation !== "relu" && c.activation !== "gelu") {
    throw new VamosError(
      `Invalid config: activation must be "relu" or "gelu", got ${JSON.stringify(c.activation)}`,
    );
  }
  if (c.norm !== "post" && c.norm !== "pre" && c.norm !== "none") {
    throw new VamosError(
      `Invalid config: norm must be "post", "pre" or "none", got ${JSON.stringify(c.norm)}`,
    );
  }
  if (typeof c.dropout !== "number" || !(c.dropout >= 0 && c.dropout < 1)) {
    throw new VamosError(
      `Invalid config: dropout must be in [0, 1), got ${JSON.stringify(c.dropout)}`,
    );
  }
  if (typeof c.normEps !== "number" || !(c.normEps > 0 && c.normEps <= 1)) {
    throw new VamosError(
      `Invalid config: normEps must be in (0, 1], got ${JSON.stringify(c.normEps)}`,
    );
  }
  if (c.startToken !== "eos" && c.startToken !== "sos") {
    throw new VamosError(
      `Invalid config: startToken must be "eos" or "sos", got ${JSON.stringify(c.startToken)}`,
    );
  }
  if (c.shareEmbeddings && c.srcVocab !== c.tgtVocab) {
    throw new VamosError(
      `Invalid config: shareEmbeddings needs equal vocabularies, got ${c.srcVocab} and ${c.tgtVocab}`,
    );
  }
  if (c.heads > 1 && !c.attentionOutProj) {
    throw new VamosError("Invalid config: several heads need attentionOutProj to combine them");
  }
  const bytes = 8 * parameterCountOf(c);
  if (bytes > MAX_MODEL_BYTES) {
    throw new VamosError(
      `Invalid config: the parameters would need ${(bytes / 2 ** 30).toFixed(1)} GiB, ` +
        `more than the ${MAX_MODEL_BYTES / 2 ** 30} GiB this package allows`,
    );
  }
  return c;
}

/** The number of parameters of a valid config (as {@linkcode parameterSpecs} lays them out). */
export function parameterCountOf(c: TransformerConfig): number {
  return parameterSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** One parameter tensor: its PyTorch state_dict name and shape. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: "xavier" | "zeros" | "ones";
}

/** y = x·Wᵀ + b: a weight [out, in] and a bias [out]. */
export interface LinearParams {
  weight: ParamSpec;
  bias?: ParamSpec;
}

/**
 * Multi-head attention: the packed in-projection (rows q | k | v) and the output projection.
 * `site` names its traced tensors (`<site>.q`, `<site>.probs`, …).
 */
export interface AttentionParams {
  site: string;
  inProj: LinearParams;
  outProj?: LinearParams;
}

/** The feed-forward sublayer of a layer (traced as `<site>.feed_forward`). */
export interface FeedForwardParams {
  site: string;
  linear1: Required<LinearParams>;
  linear2: Required<LinearParams>;
}

/**
 * A residual sublayer's layer norm (its weight and bias absent when the config has no
 * norms); `site` names the traced sums (`<site>.residual`, `<site>.normalized`).
 */
export interface NormParams {
  site: string;
  weight?: ParamSpec;
  bias?: ParamSpec;
}

/** One encoder layer: self-attention, then feed-forward, each a residual sublayer. */
export interface EncoderLayerParams {
  selfAttn: AttentionParams;
  feedForward?: FeedForwardParams;
  norm1: NormParams;
  norm2: NormParams;
}

/** One decoder layer: masked self-attention, encoder-decoder attention, feed-forward. */
export interface DecoderLayerParams {
  selfAttn: AttentionParams;
  crossAttn: AttentionParams;
  feedForward?: FeedForwardParams;
  norm1: NormParams;
  norm2: NormParams;
  norm3: NormParams;
}

/** A stack: its input (traced as `<site>.input`), its layers, the norm after them. */
export interface StackParams<Layer> {
  site: string;
  embedding: ParamSpec;
  layers: Layer[];
  finalNorm?: NormParams;
}

/**
 * Every parameter of a model as a typed tree (llm.c's ParameterTensors): the layers
 * compute from these handles, and only {@linkcode modelParams} spells PyTorch's names.
 * Shared embeddings and a tied output layer are the same handle twice.
 */
export interface ModelParams {
  encoder: StackParams<EncoderLayerParams>;
  decoder: StackParams<DecoderLayerParams>;
  generator: Required<LinearParams>;
  /** Every parameter once, in storage order. */
  specs: ParamSpec[];
}

// Adds parameters to `specs` in call order, named as nn.Transformer names them: a
// tensor, and the handles of an attention, a feed-forward network and a layer norm.
function paramBuilder(c: TransformerConfig, specs: ParamSpec[]) {
  const d = c.dModel, hasNorm = c.norm !== "none";
  const add = (name: string, shape: number[], init: ParamSpec["init"]): ParamSpec => {
    const s = { name, shape, init };
    specs.push(s);
    return s;
  };
  const attn = (site: string): AttentionParams => ({
    site,
    inProj: {
      weight: add(`${site}.in_proj_weight`, [3 * d, d], "xavier"),
      bias: c.attentionBias ? add(`${site}.in_proj_bias`, [3 * d], "zeros") : undefined,
    },
    outProj: c.attentionOutProj
      ? {
        weight: add(`${site}.out_proj.weight`, [d, d], "xavier"),
        bias: c.attentionBias ? add(`${site}.out_proj.bias`, [d], "zeros") : undefined,
      }
      : undefined,
  });
  const ffn = (site: string): FeedForwardParams | undefined =>
    c.dFF === 0 ? undefined : {
      site,
      linear1: {
        weight: add(`${site}.linear1.weight`, [c.dFF, d], "xavier"),
        bias: add(`${site}.linear1.bias`, [c.dFF], "zeros"),
      },
      linear2: {
        weight: add(`${site}.linear2.weight`, [d, c.dFF], "xavier"),
        bias: add(`${site}.linear2.bias`, [d], "zeros"),
      },
    };
  const norm = (site: string, present = hasNorm): NormParams =>
    present
      ? {
        site,
        weight: add(`${site}.weight`, [d], "ones"),
        bias: add(`${site}.bias`, [d], "zeros"),
      }
      : { site };
  return { add, attn, ffn, norm };
}

/** The parameters of a model, named as nn.Transformer names them, in storage order. */
export function modelParams(c: TransformerConfig): ModelParams {
  const d = c.dModel, hasNorm = c.norm !== "none";
  const specs: ParamSpec[] = [];
  const { add, attn, ffn, norm } = paramBuilder(c, specs);
  const srcEmbed = add("src_embed.weight", [c.srcVocab, d], "xavier");
  const tgtEmbed = c.shareEmbeddings
    ? srcEmbed
    : add("tgt_embed.weight", [c.tgtVocab, d], "xavier");
  const encoderLayers = Array.from({ length: c.encoderLayers }, (_, i): EncoderLayerParams => {
    const p = `encoder.layers.${i}`;
    const selfAttn = attn(`${p}.self_attn`), feedForward = ffn(p);
    const norm1 = norm(`${p}.norm1`), norm2 = norm(`${p}.norm2`, hasNorm && c.dFF > 0);
    return { selfAttn, feedForward, norm1, norm2 };
  });
  const encoderNorm = hasNorm && c.finalNorm && c.encoderLayers > 0
    ? norm("encoder.norm")
    : undefined;
  const decoderLayers = Array.from({ length: c.decoderLayers }, (_, i): DecoderLayerParams => {
    const p = `decoder.layers.${i}`;
    const selfAttn = attn(`${p}.self_attn`), crossAttn = attn(`${p}.multihead_attn`);
    const feedForward = ffn(p);
    const norm1 = norm(`${p}.norm1`), norm2 = norm(`${p}.norm2`);
    const norm3 = norm(`${p}.norm3`, hasNorm && c.dFF > 0);
    return { selfAttn, crossAttn, feedForward, norm1, norm2, norm3 };
  });
  const decoderNorm = hasNorm && c.finalNorm ? norm("decoder.norm") : undefined;
  const generator = {
    weight: c.tieOutput ? tgtEmbed : add("generator.weight", [c.tgtVocab, d], "xavier"),
    bias: add("generator.bias", [c.tgtVocab], "zeros"),
  };
  return {
    encoder: {
      site: "encoder",
      embedding: srcEmbed,
      layers: encoderLayers,
      finalNorm: encoderNorm,
    },
    decoder: {
      site: "decoder",
      embedding: tgtEmbed,
      layers: decoderLayers,
      finalNorm: decoderNorm,
    },
    generator,
    specs,
  };
}

/** Every parameter of a model, in storage order, named as nn.Transformer names them. */
export function parameterSpecs(c: TransformerConfig): ParamSpec[] {
  return modelParams(c).specs;
}
