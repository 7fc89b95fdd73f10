/**
 * The configuration of a Transformer: every switch between the textbook toy and the
 * 2017 paper is a field here, and the named presets set them.
 * @module
 */
import { VamosError } from "../errors.ts";
import type { Activation } from "../kernels/activations.ts";

/** Where layer normalization goes: after each residual add (the paper), before each
 * sublayer (pre-norm), or nowhere (the textbook toy). */
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
  /** Scale Q·Kᵀ by 1/√(dModel/heads) (the paper) or not (the textbook toy). */
  scaleAttention: boolean;
  /** Multiply embeddings by √dModel (the paper, §3.4). */
  scaleEmbedding: boolean;
  /** Source and target share one embedding table (needs equal vocabularies). */
  shareEmbeddings: boolean;
  /** The output layer reuses the target embedding table (no generator weight). */
  tieOutput: boolean;
  /** Biases in the attention projections (nn.MultiheadAttention has them). */
  attentionBias: boolean;
  /** An output projection after attention (nn.MultiheadAttention has one; the toy not). */
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

/** The presets: `statquest` (the textbook toy), `small` (trains in minutes on 2 cores),
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

/** Every parameter of a model, in storage order, named as nn.Transformer names them. */
export function parameterSpecs(c: TransformerConfig): ParamSpec[] {
  const d = c.dModel;
  const out: ParamSpec[] = [];
  const add = (name: string, shape: number[], init: ParamSpec["init"]) =>
    out.push({ name, shape, init });
  const attn = (p: string) => {
    add(`${p}.in_proj_weight`, [3 * d, d], "xavier");
    if (c.attentionBias) add(`${p}.in_proj_bias`, [3 * d], "zeros");
    if (c.attentionOutProj) {
      add(`${p}.out_proj.weight`, [d, d], "xavier");
      if (c.attentionBias) add(`${p}.out_proj.bias`, [d], "zeros");
    }
  };
  const ffn = (p: string) => {
    if (c.dFF === 0) return;
    add(`${p}.linear1.weight`, [c.dFF, d], "xavier");
    add(`${p}.linear1.bias`, [c.dFF], "zeros");
    add(`${p}.linear2.weight`, [d, c.dFF], "xavier");
    add(`${p}.linear2.bias`, [d], "zeros");
  };
  const norm = (p: string) => {
    add(`${p}.weight`, [d], "ones");
    add(`${p}.bias`, [d], "zeros");
  };
  const hasNorm = c.norm !== "none";
  add("src_embed.weight", [c.srcVocab, d], "xavier");
  if (!c.shareEmbeddings) add("tgt_embed.weight", [c.tgtVocab, d], "xavier");
  for (let i = 0; i < c.encoderLayers; i++) {
    const p = `encoder.layers.${i}`;
    attn(`${p}.self_attn`);
    ffn(p);
    if (hasNorm) {
      norm(`${p}.norm1`);
      if (c.dFF) norm(`${p}.norm2`);
    }
  }
  if (hasNorm && c.finalNorm && c.encoderLayers > 0) norm("encoder.norm");
  for (let i = 0; i < c.decoderLayers; i++) {
    const p = `decoder.layers.${i}`;
    attn(`${p}.self_attn`);
    attn(`${p}.multihead_attn`);
    ffn(p);
    if (hasNorm) {
      norm(`${p}.norm1`);
      norm(`${p}.norm2`);
      if (c.dFF) norm(`${p}.norm3`);
    }
  }
  if (hasNorm && c.finalNorm) norm("decoder.norm");
  if (!c.tieOutput) add("generator.weight", [c.tgtVocab, d], "xavier");
  add("generator.bias", [c.tgtVocab], "zeros");
  return out;
}
