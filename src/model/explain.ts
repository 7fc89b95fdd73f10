/**
 * `--explain`: the computation of one translation, told the way the textbook walks
 * through it, with this model's real numbers: embeddings, positions, queries, keys and
 * values, similarity scores, softmax percentages, residual sums, and for every decoded
 * word the decoder's steps and the probability of every output word. Large models are
 * summarized: a few dimensions, head-averaged attention, the top five words.
 * @module
 */
import type { Transformer } from "./model.ts";

interface Traced {
  values: Float32Array;
  cols: number;
}

const DIMS_SHOWN = 4;

function fmt(x: number): string {
  const s = x.toFixed(2);
  return s === "-0.00" ? "0.00" : s;
}

function vec(v: ArrayLike<number>): string {
  const shown = Array.from(v).slice(0, DIMS_SHOWN).map(fmt);
  return `[${shown.join(", ")}${v.length > DIMS_SHOWN ? `, … (${v.length} values)` : ""}]`;
}

/**
 * Percentages of a distribution, rounded so that they add up to exactly 100 (largest
 * remainder): a row of 30%, 70%, 1% would otherwise be shown for weights summing to 1.
 */
export function percentages(p: ArrayLike<number>, decimals = 0): string[] {
  const unit = 10 ** decimals;
  const total = Array.from(p).reduce((a, b) => a + b, 0) || 1;
  const exact = Array.from(p, (x) => (100 * unit * x) / total);
  const floor = exact.map(Math.floor);
  let missing = 100 * unit - floor.reduce((a, b) => a + b, 0);
  const order = exact.map((_, i) => i).sort((a, b) =>
    (exact[b] - floor[b]) - (exact[a] - floor[a])
  );
  for (const i of order) {
    if (missing <= 0) break;
    floor[i]++;
    missing--;
  }
  return floor.map((x) => `${(x / unit).toFixed(decimals)}%`);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function row(t: Traced, r: number, c0 = 0, c1 = t.cols): Float32Array {
  return t.values.subarray(r * t.cols + c0, r * t.cols + c1);
}

/**
 * A person-readable account of how `model` translates `text`, step by step with the
 * model's own numbers (what `translate.ts --explain` prints).
 *
 * @example
 * ```ts
 * import { explain, statquestModel } from "@vamos/transformer";
 * import { match } from "node:assert/strict";
 * match(explain(statquestModel(), "let's go"), /→ "vamos"/);
 * ```
 */
export function explain(model: Transformer, text: string): string {
  const c = model.config;
  const src = model.encodeSource(text);
  const out = model.translateIds([src])[0];
  const tgtIn = [model.startId, ...out];
  const srcTok = model.srcVocab.decode(src);
  const tgtTok = model.tgtVocab.decode(tgtIn);
  const traced = new Map<string, Traced>();
  model.core.traceForward(src, tgtIn, (name, values, cols) => traced.set(name, { values, cols }));
  const get = (name: string) => traced.get(name)!;
  const small = c.dModel <= DIMS_SHOWN * 2 && c.heads === 1;
  const width = Math.max(
    8,
    ...srcTok.map((t, i) => `${i} (${t})`.length + 2),
    ...tgtTok.map((t) => t.length + 2),
  );
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  const d = c.dModel, dh = d / c.heads;
  const table = (rows: string[], cols: string[], cell: (i: number, j: number) => string) => {
    say(`      ${pad("", width)}${cols.map((x) => pad(x, width)).join("")}`);
    rows.forEach((r, i) =>
      say(`      ${pad(r, width)}${cols.map((_, j) => pad(cell(i, j), width)).join("")}`)
    );
  };
  // Row i of an attention map (averaged over heads), as percentages of its first n keys.
  const attentionRow = (probs: Traced, seqQ: number, seqK: number, i: number, n = seqK) => {
    const w = new Float64Array(n);
    for (let h = 0; h < c.heads; h++) {
      for (let j = 0; j < n; j++) w[j] += probs.values[(h * seqQ + i) * seqK + j] / c.heads;
    }
    return percentages(w);
  };
  const scores = (q: Traced, k: Traced, i: number, j: number) => {
    let s = 0;
    for (let e = 0; e < dh; e++) s += q.values[i * q.cols + e] * k.values[j * k.cols + e];
    return c.scaleAttention ? s / Math.sqrt(dh) : s;
  };

  say(
    `Translating "${text}" → "${model.codec.detokenize(model.tgtVocab.decode(out))}"${
      model.beam > 1 ? ` (beam search, ${model.beam} hypotheses; the steps follow its answer)` : ""
    }`,
  );
  say(
    `Model: d_model ${d}, ${c.heads} head${
      c.heads > 1 ? "s" : ""
    }, ${c.encoderLayers}+${c.decoderLayers} layers, ` +
      `${c.dFF ? `feed-forward ${c.dFF}` : "no feed-forward"}, norm ${c.norm}, ` +
      `${c.scaleAttention ? "scaled" : "unscaled"} dot products.`,
  );
  say();
  say("ENCODER");
  const srcEmbed = model.core.params.get(model.core.srcTable).toArray();
  const embedScale = c.scaleEmbedding ? Math.sqrt(d) : 1;
  const pe = model.core.pe.toArray();
  say(
    `  1. Word embedding: each input word's ${d} values from the embedding table${
      embedScale !== 1 ? ` (times √${d})` : ""
    }`,
  );
  srcTok.forEach((t, i) =>
    say(
      `      ${pad(t, width)}${
        vec(srcEmbed.subarray(src[i] * d, (src[i] + 1) * d).map((v) => v * embedScale))
      }`,
    )
  );
  say("  2. Positional encoding: sine and cosine waves of the word's position");
  srcTok.forEach((t, i) =>
    say(`      ${pad(`${i} (${t})`, width)}${vec(pe.subarray(i * d, (i + 1) * d))}`)
  );
  say("  3. Embedding + positional encoding");
  const srcIn = get("encoder.input");
  srcTok.forEach((t, i) => say(`      ${pad(t, width)}${vec(row(srcIn, i))}`));
  for (let l = 0; l < c.encoderLayers; l++) {
    const p = `encoder.layers.${l}`;
    const q = get(`${p}.self_attn.q`), k = get(`${p}.self_attn.k`), v = get(`${p}.self_attn.v`);
    say(`  Layer ${l + 1}: self-attention`);
    if (small || l === 0) {
      say(
        "      Queries, keys and values (the encoded words times the query, key and value weights):",
      );
      srcTok.forEach((t, i) =>
        say(`      ${pad(t, width)}Q ${vec(row(q, i))}  K ${vec(row(k, i))}  V ${vec(row(v, i))}`)
      );
    }
    if (c.heads === 1) {
      say(
        `      Similarity scores, query · key${
          c.scaleAttention ? ` / √${dh}` : ""
        } (rows: queries, columns: keys):`,
      );
      table(srcTok, srcTok, (i, j) => fmt(scores(q, k, i, j)));
    }
    say(
      `      Softmax: how much each word attends to every word${
        c.heads > 1 ? " (average over heads)" : ""
      }:`,
    );
    const rows = srcTok.map((_, i) =>
      attentionRow(get(`${p}.self_attn.probs`), srcTok.length, srcTok.length, i)
    );
    table(srcTok, srcTok, (i, j) => rows[i][j]);
    say(
      `      Self-attention values: the values weighted by those percentages and summed${
        c.attentionOutProj ? ", then the output projection" : ""
      }:`,
    );
    const o = get(`${p}.self_attn.out`);
    srcTok.forEach((t, i) => say(`      ${pad(t, width)}${vec(row(o, i))}`));
    const r = get(`${p}.norm1.residual`);
    say(
      `      Residual connection: self-attention values + the layer's input${
        c.norm === "post" ? ", then layer normalization" : ""
      }:`,
    );
    const r1 = c.norm === "post" ? get(`${p}.norm1.normalized`) : r;
    srcTok.forEach((t, i) => say(`      ${pad(t, width)}${vec(row(r1, i))}`));
    if (c.dFF) {
      const f = get(`${p}.norm2.${c.norm === "post" ? "normalized" : "residual"}`);
      say(
        `  Layer ${l + 1}: feed-forward (${c.dFF} ${c.activation} units) and residual${
          c.norm === "post" ? " + norm" : ""
        }:`,
      );
      srcTok.forEach((t, i) => say(`      ${pad(t, width)}${vec(row(f, i))}`));
    }
  }
  const memory = get("memory");
  say("  Encoder output (the keys and values of encoder-decoder attention come from it):");
  srcTok.forEach((t, i) => say(`      ${pad(t, width)}${vec(row(memory, i))}`));
  for (let l = 0; l < c.decoderLayers; l++) {
    if (!small && l > 0) break;
    const p = `decoder.layers.${l}.multihead_attn`;
    say(
      `  Decoder layer ${
        l + 1
      }, encoder-decoder keys and values: the encoder output times the key and value weights, computed once and used at every step:`,
    );
    const k = get(`${p}.k`), v = get(`${p}.v`);
    srcTok.forEach((t, i) => say(`      ${pad(t, width)}K ${vec(row(k, i))}  V ${vec(row(v, i))}`));
  }

  const logits = get("logits");
  const tgtIn0 = get("decoder.input");
  const V = c.tgtVocab;
  for (let step = 0; step < tgtIn.length; step++) {
    say();
    say(`DECODER, step ${step + 1}: input "${tgtTok[step]}" at position ${step}`);
    say(`  Embedding + positional encoding: ${vec(row(tgtIn0, step))}`);
    const seen = tgtTok.slice(0, step + 1);
    for (let l = 0; l < c.decoderLayers; l++) {
      const p = `decoder.layers.${l}`;
      const q = get(`${p}.self_attn.q`), k = get(`${p}.self_attn.k`);
      say(`  Layer ${l + 1}: masked self-attention (only "${seen.join('", "')}" can be seen)`);
      if (small) {
        say(
          `      Q ${vec(row(q, step))}  K ${vec(row(k, step))}  V ${
            vec(row(get(`${p}.self_attn.v`), step))
          }`,
        );
      }
      if (c.heads === 1) {
        say(
          `      Similarity scores: ${
            seen.map((t, j) => `${t} ${fmt(scores(q, k, step, j))}`).join(", ")
          }`,
        );
      }
      const selfRow = attentionRow(
        get(`${p}.self_attn.probs`),
        tgtIn.length,
        tgtIn.length,
        step,
        step + 1,
      );
      say(`      Softmax: ${seen.map((t, j) => `${t} ${selfRow[j]}`).join(", ")}`);
      say(
        `      Residual sum${c.norm === "post" ? " + norm" : ""}: ${
          vec(row(get(`${p}.norm1.${c.norm === "post" ? "normalized" : "residual"}`), step))
        }`,
      );
      const cq = get(`${p}.multihead_attn.q`), ck = get(`${p}.multihead_attn.k`);
      say(
        `  Layer ${
          l + 1
        }: encoder-decoder attention (query from the decoder, keys and values from the encoder output)`,
      );
      if (small) say(`      Q ${vec(row(cq, step))}`);
      if (c.heads === 1) {
        say(
          `      Similarity scores: ${
            srcTok.map((t, j) => `${t} ${fmt(scores(cq, ck, step, j))}`).join(", ")
          }`,
        );
      }
      const crossRow = attentionRow(
        get(`${p}.multihead_attn.probs`),
        tgtIn.length,
        srcTok.length,
        step,
      );
      say(`      Softmax: ${srcTok.map((t, j) => `${t} ${crossRow[j]}`).join(", ")}`);
      say(
        `      Residual sum${c.norm === "post" ? " + norm" : ""}: ${
          vec(row(get(`${p}.norm2.${c.norm === "post" ? "normalized" : "residual"}`), step))
        }`,
      );
      if (c.dFF) {
        say(
          `  Layer ${l + 1}: feed-forward and residual: ${
            vec(row(get(`${p}.norm3.${c.norm === "post" ? "normalized" : "residual"}`), step))
          }`,
        );
      }
    }
    const lg = row(logits, step);
    let m = -Infinity;
    for (const x of lg) m = Math.max(m, x);
    const e = Array.from(lg, (x) => Math.exp(x - m));
    const sum = e.reduce((a, b) => a + b, 0);
    const probs = e.map((x) => x / sum);
    const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a]);
    const shown = percentages(probs, 1);
    if (V <= 8) {
      say("  Fully connected layer: one output per Spanish word, then softmax:");
      for (let w = 0; w < V; w++) {
        say(
          `      ${pad(model.tgtVocab.tokens[w], width)}${pad(fmt(lg[w]), 10)}${shown[w]}`,
        );
      }
    } else {
      say("  Fully connected layer and softmax, the five most likely next tokens:");
      for (const w of order.slice(0, 5)) {
        say(`      ${pad(model.tgtVocab.tokens[w], width)}${shown[w]}`);
      }
    }
    // The walk-through follows the translation printed above: at each step, the token it
    // has (beam search may keep another than the most likely one of this step alone).
    const id = step < out.length ? out[step] : model.tgtVocab.eos;
    const chosen = model.tgtVocab.tokens[id];
    const why = id === order[0]
      ? ""
      : ` (beam search's choice: the most likely token of this step alone is "${
        model.tgtVocab.tokens[order[0]]
      }", but the translation with "${chosen}" scores better as a whole)`;
    say(
      chosen === "<EOS>"
        ? `  → "<EOS>": the translation is finished.${why}`
        : `  → "${chosen}"${why}`,
    );
  }
  return lines.join("\n");
}
