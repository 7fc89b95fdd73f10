/**
 * The Transformer encoder-decoder: embeddings with sinusoidal positions, encoder and
 * decoder stacks, the generator, the loss and its exact backward pass, all on the wasm
 * kernels. TypeScript here only orchestrates.
 * @module
 */
import { type IntBuffer, Runtime, type Tensor } from "../runtime/runtime.ts";
import { type ModelParams, modelParams, type TransformerConfig, validateConfig } from "./config.ts";
import { ParamStore } from "./params.ts";
import { seededRandom } from "./random.ts";
import {
  type Backward,
  chain,
  embeddingScale,
  linear,
  linearBackward,
  multiHeadAttention,
  Pass,
  type SeqShape,
  TRACE,
  traceName,
} from "./layers.ts";
import {
  type AttentionStep,
  decoderLayer,
  encoderLayer,
  finalNorm,
} from "./encoder_decoder_layers.ts";
import {
  embeddingBackwardInto,
  embeddingInto,
  positionalEncodingInto,
} from "../kernels/embedding.ts";
import { crossEntropyInto } from "../kernels/cross_entropy.ts";
import { topKInto } from "../kernels/top_k.ts";
import { VamosError } from "../errors.ts";
import { hardwareThreads } from "../host/host.ts";
import { checkOption, DECODING_BOUNDS } from "../options.ts";

type EitherStack = ModelParams["encoder"] | ModelParams["decoder"];

/** The default thread count: every core. */
export function defaultThreads(): number {
  return hardwareThreads();
}

/** Padded id sequences in wasm memory, with their real lengths. */
export interface PaddedIds {
  ids: IntBuffer;
  shape: SeqShape;
}

/** Attention weights of one attention sublayer: [batch, heads, seqQ, seqK] row-major. */
export interface AttentionMaps {
  /** Per encoder layer, [1, heads, srcLen, srcLen]. */
  encoderSelf: Float32Array[];
  /** Per decoder layer, masked self-attention, [1, heads, tgtLen, tgtLen]. */
  decoderSelf: Float32Array[];
  /** Per decoder layer, encoder-decoder attention, [1, heads, tgtLen, srcLen]. */
  decoderCross: Float32Array[];
}

/** Options for a loss evaluation. */
export interface LossOptions {
  /** Apply dropout (training) or not. */
  train?: boolean;
  /** Label smoothing ε. */
  smoothing?: number;
  /** Seed of this step's dropout masks. */
  seed?: number;
  /** Also compute gradients (into the parameter store's gradient region). */
  backward?: boolean;
}

/** The numeric model: parameters, positions table and the passes over them. */
export class TransformerCore {
  /** The runtime holding this model's memory. */
  readonly rt: Runtime;
  /** Parameters, gradients and optimizer moments. */
  readonly params: ParamStore;
  /** The sinusoidal positions, [maxLen, dModel]. */
  readonly pe: Tensor;
  /** Every parameter as a typed handle: what the layers compute from. */
  readonly handles: ModelParams;

  /** Creates a model with Xavier-initialized weights from `seed`. */
  constructor(
    readonly config: TransformerConfig,
    opts: { seed?: number; runtime?: Runtime; threads?: number; initialize?: boolean } = {},
  ) {
    validateConfig(config);
    checkOption("threads", opts.threads, DECODING_BOUNDS.threads);
    this.rt = opts.runtime ?? new Runtime({ threads: opts.threads ?? defaultThreads() });
    this.handles = modelParams(config);
    this.params = new ParamStore(this.rt, this.handles.specs);
    // A model about to be loaded from a checkpoint skips the random initialization.
    if (opts.initialize !== false) this.params.initialize(seededRandom(opts.seed ?? 0));
    this.pe = this.rt.tensor(config.maxLen, config.dModel);
    positionalEncodingInto(this.pe);
  }

  /** Copies sequences into wasm memory, padded with `pad` to the longest. */
  pad(seqs: readonly (readonly number[])[], vocab: number, what: string, pad = 0): PaddedIds {
    if (seqs.length === 0) throw new VamosError(`No ${what} sequences given`);
    const len = Math.max(...seqs.map((s) => s.length));
    if (len === 0) throw new VamosError(`Every ${what} sequence is empty`);
    if (len > this.config.maxLen) {
      throw new VamosError(
        `A ${what} sequence has ${len} tokens; this model takes at most ${this.config.maxLen}`,
      );
    }
    const flat = new Int32Array(seqs.length * len).fill(pad);
    seqs.forEach((s, b) => {
      s.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocab) {
          throw new VamosError(`${what} token id ${id} is outside the vocabulary of ${vocab}`);
        }
        flat[b * len + t] = id;
      });
    });
    const ids = this.rt.ints(flat.length).set(flat);
    const lens = this.rt.ints(seqs.length).set(seqs.map((s) => s.length));
    return { ids, shape: { batch: seqs.length, len, lens } };
  }

  /** A stack's input: its embedding of `x` (scaled, plus positions), with dropout. */
  embed(pass: Pass, stack: EitherStack, x: PaddedIds): [Tensor, Backward] {
    const c = this.config;
    const scale = embeddingScale(c);
    const out = pass.alloc(x.shape.batch * x.shape.len, c.dModel);
    const table = stack.embedding;
    embeddingInto(this.params.get(table), x.ids, out, { scale, pe: this.pe, seqLen: x.shape.len });
    pass.trace?.(traceName(stack.site, TRACE.input), out);
    const [y, dropBack] = pass.drop(out);
    return [y, (dy) => {
      embeddingBackwardInto(dropBack(dy), x.ids, this.params.grad(table), scale);
      return dy;
    }];
  }

  /** Encoder: memory [batch·srcLen, dModel] and its backward. */
  encoderForward(pass: Pass, src: PaddedIds, maps?: Float32Array[]): [Tensor, Backward] {
    const stack = this.handles.encoder;
    const backs: Backward[] = [];
    let [x, back] = this.embed(pass, stack, src);
    backs.push(back);
    const selfAttention: AttentionStep = (h, a) => {
      const r = multiHeadAttention(pass, a, h, src.shape, h, src.shape, false);
      maps?.push(r.probs.toArray());
      return [r.out, r.backward];
    };
    for (const layer of stack.layers) {
      [x, back] = encoderLayer(pass, layer, x, selfAttention);
      backs.push(back);
    }
    [x, back] = finalNorm(pass, stack.finalNorm, x);
    backs.push(back);
    return [x, chain(backs)];
  }

  /**
   * Decoder and generator: logits [batch·tgtLen, tgtVocab]. The backward adds the
   * gradient of the memory into `dMemory`.
   */
  decoderForward(
    pass: Pass,
    tgtIn: PaddedIds,
    memory: Tensor,
    src: PaddedIds,
    dMemory?: Tensor,
    maps?: { self: Float32Array[]; cross: Float32Array[] },
  ): [Tensor, Backward] {
    const stack = this.handles.decoder;
    const backs: Backward[] = [];
    let [x, back] = this.embed(pass, stack, tgtIn);
    backs.push(back);
    const selfAttention: AttentionStep = (h, a) => {
      const r = multiHeadAttention(pass, a, h, tgtIn.shape, h, tgtIn.shape, true);
      maps?.self.push(r.probs.toArray());
      return [r.out, r.backward];
    };
    const crossAttention: AttentionStep = (h, a) => {
      const r = multiHeadAttention(pass, a, h, tgtIn.shape, memory, src.shape, false, dMemory);
      maps?.cross.push(r.probs.toArray());
      return [r.out, r.backward];
    };
    for (const layer of stack.layers) {
      [x, back] = decoderLayer(pass, layer, x, selfAttention, crossAttention);
      backs.push(back);
    }
    [x, back] = finalNorm(pass, stack.finalNorm, x);
    backs.push(back);
    const [logits, outBack] = this.generate(pass, x);
    backs.push(outBack);
    return [logits, chain(backs)];
  }

  /** The output layer over the whole vocabulary: logits [h.rows, tgtVocab]. */
  generate(pass: Pass, h: Tensor): [Tensor, Backward] {
    const g = this.handles.generator, params = this.params;
    const logits = pass.alloc(h.rows, this.config.tgtVocab);
    const w = params.get(g.weight);
    linear(pass, h, w, params.get(g.bias), logits);
    pass.trace?.(TRACE.logits, logits);
    return [logits, (dlogits) => {
      const dh = pass.alloc(h.rows, this.config.dModel);
      linearBackward(dlogits, h, w, params.grad(g.weight), params.grad(g.bias), dh);
      return dh;
    }];
  }

  /**
   * Mean cross-entropy of `labels` (-1 = ignored) given source and decoder-input
   * sequences; with `backward`, gradients are zeroed and then computed.
   */
  loss(
    src: readonly (readonly number[])[],
    tgtIn: readonly (readonly number[])[],
    labels: readonly (readonly number[])[],
    opts: LossOptions = {},
  ): number {
    const c = this.config;
    if (src.length !== tgtIn.length || tgtIn.length !== labels.length) {
      throw new VamosError(
        `Batch sizes differ: ${src.length} sources, ${tgtIn.length} decoder inputs, ${labels.length} label rows`,
      );
    }
    const mark = this.rt.mark();
    try {
      const pass = new Pass(this.rt, this.params, c, opts.train ?? false, opts.seed ?? 0);
      const s = this.pad(src, c.srcVocab, "source");
      const t = this.pad(tgtIn, c.tgtVocab, "target");
      labels.forEach((l, b) => {
        if (l.length !== tgtIn[b].length) {
          throw new VamosError(
            `Labels of sequence ${b} have ${l.length} tokens, its decoder input ${tgtIn[b].length}`,
          );
        }
      });
      const lab = this.rt.ints(t.shape.batch * t.shape.len).set(
        new Int32Array(t.shape.batch * t.shape.len).fill(-1).map((_, i) =>
          labels[Math.floor(i / t.shape.len)][i % t.shape.len] ?? -1
        ),
      );
      const [memory, encBack] = this.encoderForward(pass, s);
      // Cross-attention in every decoder layer adds into dMemory: it starts at zero.
      const dMemory = opts.backward ? this.rt.tensor(memory.rows, memory.cols) : undefined;
      const [logits, decBack] = this.decoderForward(pass, t, memory, s, dMemory);
      const dlogits = opts.backward ? pass.alloc(logits.rows, logits.cols) : undefined;
      const loss = crossEntropyInto(logits, lab, dlogits, {
        smoothing: opts.smoothing ?? 0,
        ignoreIndex: -1,
      });
      if (opts.backward && dlogits && dMemory) {
        this.params.zeroGrads();
        decBack(dlogits);
        encBack(dMemory);
      }
      return loss;
    } finally {
      this.rt.release(mark);
    }
  }

  /**
   * Log-probability of each target sequence given its source (teacher forcing, no
   * dropout): the sum over its tokens of log-softmax(logits)[token]. `tgt` holds the
   * tokens to score, `<EOS>` included; the decoder reads `start` before them.
   */
  sequenceLogProbs(
    src: readonly (readonly number[])[],
    tgt: readonly (readonly number[])[],
    start: number,
  ): number[] {
    if (src.length !== tgt.length) {
      throw new VamosError(`Batch sizes differ: ${src.length} sources, ${tgt.length} targets`);
    }
    if (src.length === 0) return [];
    tgt.forEach((y, b) => {
      if (y.length === 0) throw new VamosError(`Target ${b} is empty: nothing to score`);
      for (const id of y) {
        if (!(Number.isInteger(id) && id >= 0 && id < this.config.tgtVocab)) {
          throw new VamosError(`Target ${b} holds token ${id}, outside the vocabulary`);
        }
      }
    });
    const mark = this.rt.mark();
    try {
      const pass = new Pass(this.rt, this.params, this.config, false, 0);
      const s = this.pad(src, this.config.srcVocab, "source");
      const t = this.pad(
        tgt.map((y) => [start, ...y.slice(0, -1)]),
        this.config.tgtVocab,
        "target",
      );
      const [memory] = this.encoderForward(pass, s);
      const [logits] = this.decoderForward(pass, t, memory, s);
      const lse = pass.alloc(logits.rows, 1);
      topKInto(logits, 1, this.rt.ints(logits.rows), lse);
      const f32 = this.rt.f32, len = t.shape.len;
      return tgt.map((y, b) => {
        let sum = 0;
        y.forEach((id, i) => {
          const row = b * len + i;
          sum += f32[(logits.ptr >>> 2) + row * logits.ld + id] -
            f32[(lse.ptr >>> 2) + row * lse.ld];
        });
        return sum;
      });
    } finally {
      this.rt.release(mark);
    }
  }

  /**
   * Logits [batch, tgtLen, tgtVocab] (row-major, tgtLen the longest decoder input) for
   * source and decoder-input sequences of any lengths; no dropout.
   */
  logits(src: readonly (readonly number[])[], tgtIn: readonly (readonly number[])[]): Float32Array {
    if (src.length !== tgtIn.length) {
      throw new VamosError(
        `Batch sizes differ: ${src.length} sources, ${tgtIn.length} decoder inputs`,
      );
    }
    const mark = this.rt.mark();
    try {
      const pass = new Pass(this.rt, this.params, this.config, false, 0);
      const s = this.pad(src, this.config.srcVocab, "source");
      const t = this.pad(tgtIn, this.config.tgtVocab, "target");
      const [memory] = this.encoderForward(pass, s);
      const [logits] = this.decoderForward(pass, t, memory, s);
      return logits.toArray();
    } finally {
      this.rt.release(mark);
    }
  }

  /**
   * Runs one sentence pair forward, handing every named intermediate tensor to
   * `trace` (as a copy), for showing the computation to people.
   */
  traceForward(
    src: readonly number[],
    tgtIn: readonly number[],
    trace: (name: string, values: Float32Array, cols: number) => void,
  ): void {
    const mark = this.rt.mark();
    try {
      const pass = new Pass(
        this.rt,
        this.params,
        this.config,
        false,
        0,
        (n, t) => trace(n, t.toArray(), t.cols),
      );
      const s = this.pad([src], this.config.srcVocab, "source");
      const t = this.pad([tgtIn], this.config.tgtVocab, "target");
      const [memory] = this.encoderForward(pass, s);
      trace(TRACE.memory, memory.toArray(), memory.cols);
      this.decoderForward(pass, t, memory, s);
    } finally {
      this.rt.release(mark);
    }
  }

  /** The attention weights of every layer for one source and decoder-input sequence. */
  attentionMaps(src: readonly number[], tgtIn: readonly number[]): AttentionMaps {
    const mark = this.rt.mark();
    try {
      const pass = new Pass(this.rt, this.params, this.config, false, 0);
      const s = this.pad([src], this.config.srcVocab, "source");
      const t = this.pad([tgtIn], this.config.tgtVocab, "target");
      const encoderSelf: Float32Array[] = [];
      const dec = { self: [] as Float32Array[], cross: [] as Float32Array[] };
      const [memory] = this.encoderForward(pass, s, encoderSelf);
      this.decoderForward(pass, t, memory, s, undefined, dec);
      return { encoderSelf, decoderSelf: dec.self, decoderCross: dec.cross };
    } finally {
      this.rt.release(mark);
    }
  }
}
