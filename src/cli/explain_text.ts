/**
 * The text `translate.ts --explain` prints: an explanation (`explain()`) written out step
 * by step; large models are summarized, a few dimensions, head-averaged attention, the
 * top five words.
 * @module
 */
import {
  DIMS_SHOWN,
  type ExplainStep,
  type Explanation,
  type LabelledVector,
} from "../model/explain_types.ts";

function fmt(x: number): string {
  const s = x.toFixed(2);
  return s === "-0.00" ? "0.00" : s;
}

function vec(v: ArrayLike<number>): string {
  const shown = Array.from(v).slice(0, DIMS_SHOWN).map(fmt);
  return `[${shown.join(", ")}${v.length > DIMS_SHOWN ? `, … (${v.length} values)` : ""}]`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

// What writing the text needs: the explanation, a line writer and table helpers.
function textWriter(e: Explanation) {
  const c = e.model;
  const width = Math.max(
    8,
    ...e.source.map((t, i) => `${i} (${t})`.length + 2),
    ...e.target.map((t) => t.length + 2),
  );
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  const rows = (vs: LabelledVector[]) =>
    vs.forEach((r) => say(`      ${pad(r.label, width)}${vec(r.values)}`));
  const table = (m: NonNullable<ExplainStep["matrix"]>, cell: (i: number, j: number) => string) => {
    say(`      ${pad("", width)}${m.cols.map((x) => pad(x, width)).join("")}`);
    m.rows.forEach((r, i) =>
      say(`      ${pad(r, width)}${m.cols.map((_, j) => pad(cell(i, j), width)).join("")}`)
    );
  };
  const norm = c.norm === "post";
  let layerHeaded = -1;
  const layerHeading = (l: number) => {
    if (layerHeaded !== l) say(`  Layer ${l + 1}: self-attention`);
    layerHeaded = l;
  };
  return { e, c, width, lines, say, rows, table, norm, layerHeading };
}

type TextWriter = ReturnType<typeof textWriter>;

// The text of an encoder step (and of a decoder layer's feed-forward).
function encoderStepText(w: TextWriter, s: ExplainStep): void {
  const { c, width, say, rows, norm } = w;
  switch (s.idea) {
    case "embedding":
      say(
        `  1. Word embedding: each input word's ${c.dModel} values from the embedding table${
          c.embedScale !== 1 ? ` (times √${c.dModel})` : ""
        }`,
      );
      rows(s.vectors!);
      break;
    case "positions":
      say("  2. Positional encoding: sine and cosine waves of the word's position");
      rows(s.vectors!);
      break;
    case "embedding+positions":
      say("  3. Embedding + positional encoding");
      rows(s.vectors!);
      break;
    case "queries-keys-values":
    case "scores":
    case "softmax":
    case "attention-values":
    case "residual":
      encoderAttentionText(w, s);
      break;
    case "feed-forward":
      if (s.part === "encoder") {
        say(
          `  Layer ${s.layer! + 1}: feed-forward (${c.dFF} ${c.activation} units) and residual${
            norm ? " + norm" : ""
          }:`,
        );
        rows(s.vectors!);
      } else say(`  Layer ${s.layer! + 1}: feed-forward and residual: ${vec(s.residual!)}`);
      break;
    case "encoder-output":
      say("  Encoder output (the keys and values of encoder-decoder attention come from it):");
      rows(s.vectors!);
      break;
    case "encoder-decoder-keys-values":
      say(
        `  Decoder layer ${
          s.layer! + 1
        }, encoder-decoder keys and values: the encoder output times the key and value weights, computed once and used at every step:`,
      );
      for (const r of s.qkv!) say(`      ${pad(r.label, width)}K ${vec(r.k)}  V ${vec(r.v)}`);
      break;
  }
}

// The text of an encoder layer's self-attention steps.
function encoderAttentionText(w: TextWriter, s: ExplainStep): void {
  const { c, width, say, rows, table, norm, layerHeading } = w;
  switch (s.idea) {
    case "queries-keys-values":
      layerHeading(s.layer!);
      say(
        "      Queries, keys and values (the encoded words times the query, key and value weights):",
      );
      for (const r of s.qkv!) {
        say(`      ${pad(r.label, width)}Q ${vec(r.q)}  K ${vec(r.k)}  V ${vec(r.v)}`);
      }
      break;
    case "scores":
      layerHeading(s.layer!);
      say(
        `      Similarity scores, query · key${
          c.scaleAttention ? ` / √${c.dModel / c.heads}` : ""
        } (rows: queries, columns: keys):`,
      );
      table(s.matrix!, (i, j) => fmt(s.matrix!.values[i][j]));
      break;
    case "softmax":
      layerHeading(s.layer!);
      say(
        `      Softmax: how much each word attends to every word${
          c.heads > 1 ? " (average over heads)" : ""
        }:`,
      );
      table(s.matrix!, (i, j) => s.matrix!.percent![i][j]);
      break;
    case "attention-values":
      say(
        `      Self-attention values: the values weighted by those percentages and summed${
          c.attentionOutProj ? ", then the output projection" : ""
        }:`,
      );
      rows(s.vectors!);
      break;
    case "residual":
      say(
        `      Residual connection: self-attention values + the layer's input${
          norm ? ", then layer normalization" : ""
        }:`,
      );
      rows(s.vectors!);
      break;
  }
}

// The text of a decoder step: its input, its attention, the output words.
function decoderStepText(w: TextWriter, s: ExplainStep): void {
  const { e, width, say, norm } = w;
  switch (s.idea) {
    case "decoder-input": {
      const t = s.decoderStep!;
      say();
      say(`DECODER, step ${t + 1}: input "${e.target[t]}" at position ${t}`);
      say(`  Embedding + positional encoding: ${vec(s.vectors![0].values)}`);
      break;
    }
    case "masked-self-attention":
    case "encoder-decoder-attention": {
      const a = s.attention!;
      const masked = s.idea === "masked-self-attention";
      say(
        masked
          ? `  Layer ${s.layer! + 1}: masked self-attention (only "${
            a.keys.join('", "')
          }" can be seen)`
          : `  Layer ${
            s.layer! + 1
          }: encoder-decoder attention (query from the decoder, keys and values from the encoder output)`,
      );
      if (s.qkv) {
        const r = s.qkv[0];
        say(masked ? `      Q ${vec(r.q)}  K ${vec(r.k)}  V ${vec(r.v)}` : `      Q ${vec(r.q)}`);
      }
      if (a.scores) {
        say(
          `      Similarity scores: ${
            a.keys.map((t, j) => `${t} ${fmt(a.scores![j])}`).join(", ")
          }`,
        );
      }
      say(`      Softmax: ${a.keys.map((t, j) => `${t} ${a.percent[j]}`).join(", ")}`);
      say(`      Residual sum${norm ? " + norm" : ""}: ${vec(s.residual!)}`);
      break;
    }
    case "output": {
      const words = s.words!;
      if (s.allWords) {
        say("  Fully connected layer: one output per Spanish word, then softmax:");
        for (const w of words) {
          say(`      ${pad(w.token, width)}${pad(fmt(w.logit), 10)}${w.percent}`);
        }
      } else {
        say("  Fully connected layer and softmax, the five most likely next tokens:");
        for (const w of words) say(`      ${pad(w.token, width)}${w.percent}`);
      }
      const { token, mostLikely } = s.chosen!;
      const why = token === mostLikely
        ? ""
        : ` (beam search's choice: the most likely token of this step alone is "${mostLikely}", but the translation with "${token}" scores better as a whole)`;
      say(
        token === "<EOS>"
          ? `  → "<EOS>": the translation is finished.${why}`
          : `  → "${token}"${why}`,
      );
      break;
    }
  }
}

/**
 * The walk-through as text: what `translate.ts --explain` prints.
 *
 * @example
 * ```ts
 * import { explain, formatExplanation, statquestModel } from "@vamos/transformer";
 * import { match } from "node:assert/strict";
 * match(formatExplanation(explain(statquestModel(), "let's go")), /→ "vamos"/);
 * ```
 */
export function formatExplanation(e: Explanation): string {
  const w = textWriter(e);
  const { c, say } = w;
  say(
    `Translating "${e.text}" → "${e.translation}"${
      e.beam > 1 ? ` (beam search, ${e.beam} hypotheses; the steps follow its answer)` : ""
    }`,
  );
  say(
    `Model: d_model ${c.dModel}, ${c.heads} head${
      c.heads > 1 ? "s" : ""
    }, ${c.encoderLayers}+${c.decoderLayers} layers, ` +
      `${c.dFF ? `feed-forward ${c.dFF}` : "no feed-forward"}, norm ${c.norm}, ` +
      `${c.scaleAttention ? "scaled" : "unscaled"} dot products.`,
  );
  say();
  say("ENCODER");
  for (const s of e.steps) {
    if (s.part === "decoder" && s.idea !== "feed-forward") decoderStepText(w, s);
    else encoderStepText(w, s);
  }
  return w.lines.join("\n");
}
