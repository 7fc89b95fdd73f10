/**
 * Translation quality, computed as sacreBLEU computes its defaults: corpus BLEU with the
 * 13a tokenizer, several references per sentence, exponential smoothing and a corpus
 * brevity penalty; chrF (character 6-grams, β = 2, spaces removed, the best reference
 * per sentence); and the exact-match rate.
 * @module
 */

// mteval-v13a tokenization as sacreBLEU's Tokenizer13a: split ASCII punctuation and
// symbols, periods and commas unless next to a digit, dashes after a digit.
export function tokenize13a(line: string): string[] {
  let s = line.replace(/<skipped>/g, "").replace(/-\n/g, "").replace(/\n/g, " ");
  s = s.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  s = ` ${s} `;
  s = s.replace(/([\{-\~\[-\` -\&\(-\+\:-\@\/])/g, " $1 ");
  s = s.replace(/([^0-9])([\.,])/g, "$1 $2 ");
  s = s.replace(/([\.,])([^0-9])/g, " $1 $2");
  s = s.replace(/([0-9])(-)/g, "$1 $2 ");
  return s.trim().split(/\s+/).filter((t) => t.length > 0);
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join("\u0001");
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** A corpus BLEU score with its parts, as sacreBLEU prints them. */
export interface BleuScore {
  /** BLEU, 0–100. */
  score: number;
  /** n-gram precisions in percent, n = 1..4. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis length, in 13a tokens. */
  sysLen: number;
  /** Reference length (closest reference per sentence), in 13a tokens. */
  refLen: number;
}

/**
 * Corpus BLEU of hypotheses against one or more references per sentence
 * (`references[i]` lists the references of hypothesis i).
 *
 * @example
 * ```ts
 * import { corpusBleu } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const hyp = "¿Dónde está el baño?";
 * equal(Math.round(corpusBleu([hyp], [[hyp, "¿Dónde queda el baño?"]]).score), 100);
 * ```
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
): BleuScore {
  if (hypotheses.length !== references.length) {
    throw new RangeError(
      `${hypotheses.length} hypotheses but ${references.length} reference lists`,
    );
  }
  const N = 4;
  const correct = new Array(N).fill(0), total = new Array(N).fill(0);
  let sysLen = 0, refLen = 0;
  hypotheses.forEach((h, i) => {
    const hyp = tokenize13a(h.trimEnd());
    const refs = references[i].map((r) => tokenize13a(r.trimEnd()));
    sysLen += hyp.length;
    // The reference length closest to the hypothesis length; ties go to the shorter.
    let closest = -1, diff = Infinity;
    for (const r of refs) {
      const d = Math.abs(hyp.length - r.length);
      if (d < diff || (d === diff && r.length < closest)) {
        diff = d;
        closest = r.length;
      }
    }
    refLen += closest;
    for (let n = 1; n <= N; n++) {
      const maxRef = new Map<string, number>();
      for (const r of refs) {
        for (const [g, c] of ngramCounts(r, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
      }
      for (const [g, c] of ngramCounts(hyp, n)) correct[n - 1] += Math.min(c, maxRef.get(g) ?? 0);
      total[n - 1] += Math.max(0, hyp.length - n + 1);
    }
  });
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array(N).fill(0);
  if (!correct.some((c) => c > 0)) return { score: 0, precisions, bp, sysLen, refLen };
  let smooth = 1;
  for (let n = 0; n < N; n++) {
    if (total[n] === 0) break;
    if (correct[n] === 0) {
      smooth *= 2; // sacreBLEU's default "exp" smoothing
      precisions[n] = 100 / (smooth * total[n]);
    } else precisions[n] = (100 * correct[n]) / total[n];
  }
  const logs = precisions.map((p) => (p > 0 ? Math.log(p) : -9999999999));
  const score = bp * Math.exp(logs.reduce((a, b) => a + b, 0) / N);
  return { score, precisions, bp, sysLen, refLen };
}

function charStats(hyp: string, ref: string, order: number): number[] {
  const h = hyp.replace(/\s+/g, ""), r = ref.replace(/\s+/g, "");
  const stats: number[] = [];
  const hc = Array.from(h), rc = Array.from(r);
  for (let n = 1; n <= order; n++) {
    const hg = ngramCounts(hc, n), rg = ngramCounts(rc, n);
    let match = 0;
    for (const [g, c] of hg) match += Math.min(c, rg.get(g) ?? 0);
    stats.push(Math.max(0, hc.length - n + 1), Math.max(0, rc.length - n + 1), match);
  }
  return stats;
}

function chrfFromStats(stats: readonly number[], order: number, beta: number): number {
  const f = beta * beta;
  let p = 0, r = 0, eff = 0;
  for (let i = 0; i < order; i++) {
    const [nh, nr, nm] = stats.slice(3 * i, 3 * i + 3);
    if (nh > 0 && nr > 0) {
      p += nm / nh;
      r += nm / nr;
      eff++;
    }
  }
  if (eff === 0) return 0;
  p /= eff;
  r /= eff;
  return p + r > 0 ? (100 * (1 + f) * p * r) / (f * p + r) : 0;
}

/**
 * Corpus chrF (sacreBLEU's CHRF(): character n-grams up to 6, β = 2, whitespace
 * ignored; with several references, each sentence counts its best one).
 *
 * @example
 * ```ts
 * import { corpusChrf } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * equal(corpusChrf(["Vamos."], [["Vamos."]]), 100);
 * ```
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  order = 6,
  beta = 2,
): number {
  const total = new Array(3 * order).fill(0);
  hypotheses.forEach((h, i) => {
    let best: number[] = [], bestScore = -1;
    for (const r of references[i]) {
      const s = charStats(h, r, order);
      const score = chrfFromStats(s, order, beta);
      if (score > bestScore) {
        bestScore = score;
        best = s;
      }
    }
    best.forEach((v, j) => (total[j] += v));
  });
  return chrfFromStats(total, order, beta);
}

/** Share of hypotheses equal to one of their references (after trimming). */
export function exactMatch(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
): number {
  if (hypotheses.length === 0) return 0;
  const hits = hypotheses.filter((h, i) => references[i].some((r) => r.trim() === h.trim())).length;
  return hits / hypotheses.length;
}
