// Greedy decoding and teacher-forced logits over exported ONNX graphs, with onnxruntime
// (node or web: both have this API), as transformers.js runs them: the encoder once, then
// the merged decoder step by step with its caches. Shared by the tests and bench:compare.

/** What is used of onnxruntime-node's and onnxruntime-web's modules. */
export interface Ort {
  InferenceSession: {
    create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}
/** An onnxruntime tensor. */
export interface OrtTensor {
  data: unknown;
  dims: readonly number[];
}
/** An onnxruntime session. */
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}

interface ExportConfig {
  d_model: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  decoder_start_token_id: number;
  eos_token_id: number;
  max_length: number;
}

/** An exported model folder opened in onnxruntime. */
export class OnnxModel {
  private constructor(
    readonly ort: Ort,
    readonly config: ExportConfig,
    readonly encoder: OrtSession,
    readonly decoder: OrtSession,
  ) {}

  /** Opens `dir` (as `exportOnnx` wrote it); `suffix` "_int8" for the 8-bit graphs. */
  static async open(
    ort: Ort,
    dir: string,
    opts: { suffix?: string; session?: Record<string, unknown> } = {},
  ): Promise<OnnxModel> {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`)) as ExportConfig;
    const s = opts.suffix ?? "";
    const load = async (name: string) =>
      await ort.InferenceSession.create(
        await Deno.readFile(`${dir}/onnx/${name}${s}.onnx`),
        opts.session ?? {},
      );
    return new OnnxModel(
      ort,
      config,
      await load("encoder_model"),
      await load("decoder_model_merged"),
    );
  }

  #ints(rows: readonly (readonly number[])[], pad: number): OrtTensor {
    const T = Math.max(...rows.map((r) => r.length));
    const data = new BigInt64Array(rows.length * T).fill(BigInt(pad));
    rows.forEach((r, b) => r.forEach((v, t) => data[b * T + t] = BigInt(v)));
    return new this.ort.Tensor("int64", data, [rows.length, T]);
  }

  #emptyPast(batch: number): Record<string, OrtTensor> {
    const c = this.config, H = c.decoder_attention_heads, dh = c.d_model / H;
    const past: Record<string, OrtTensor> = {};
    for (let i = 0; i < c.decoder_layers; i++) {
      for (const side of ["decoder", "encoder"]) {
        for (const kv of ["key", "value"]) {
          past[`past_key_values.${i}.${side}.${kv}`] = new this.ort.Tensor(
            "float32",
            new Float32Array(0),
            [batch, H, 0, dh],
          );
        }
      }
    }
    return past;
  }

  async #encode(src: readonly (readonly number[])[]) {
    const ids = this.#ints(src, this.config.eos_token_id);
    const mask = this.#ints(src.map((s) => s.map(() => 1)), 0);
    const { last_hidden_state } = await this.encoder.run({ input_ids: ids, attention_mask: mask });
    return { mask, memory: last_hidden_state };
  }

  /**
   * Logits [batch, T, vocab] of one decoder call on decoder inputs of equal length T
   * (empty caches): the whole prefix at once, as training sees it.
   */
  async logits(
    src: readonly (readonly number[])[],
    tgtIn: readonly (readonly number[])[],
  ): Promise<Float32Array> {
    const { mask, memory } = await this.#encode(src);
    const r = await this.decoder.run({
      input_ids: this.#ints(tgtIn, 0),
      encoder_attention_mask: mask,
      encoder_hidden_states: memory,
      ...this.#emptyPast(src.length),
    });
    return r.logits.data as Float32Array;
  }

  /**
   * Greedy translations (ids without start and end) of source id sequences (each with its
   * `<EOS>`), decoded as one batch; `onStep` sees each step's logits [batch, vocab].
   */
  async greedy(
    src: readonly (readonly number[])[],
    onStep?: (t: number, logits: Float32Array) => void,
  ): Promise<number[][]> {
    const c = this.config, B = src.length;
    const { mask, memory } = await this.#encode(src);
    let past = this.#emptyPast(B);
    let ids = new Array(B).fill(c.decoder_start_token_id);
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array(B).fill(false);
    for (let t = 0; t < c.max_length - 1 && !done.every(Boolean); t++) {
      const r = await this.decoder.run({
        input_ids: this.#ints(ids.map((i) => [i]), 0),
        encoder_attention_mask: mask,
        encoder_hidden_states: memory,
        ...past,
      });
      const logits = r.logits.data as Float32Array, V = logits.length / B;
      onStep?.(t, logits);
      const next: Record<string, OrtTensor> = {};
      for (const name of Object.keys(past)) {
        // The encoder's cache is made on the first step and kept (as transformers.js does).
        next[name] = name.includes(".encoder.") && t > 0
          ? past[name]
          : r[name.replace("past_key_values", "present")];
      }
      past = next;
      ids = ids.map((_, b) => {
        let best = 0;
        for (let v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
        if (!done[b]) {
          if (best === c.eos_token_id) done[b] = true;
          else out[b].push(best);
        }
        return best;
      });
    }
    return out;
  }
}
