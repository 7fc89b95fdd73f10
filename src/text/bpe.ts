/**
 * Byte-pair encoding (Sennrich et al. 2016) learned from the training text, one
 * vocabulary shared by both languages as in the paper. Case and punctuation are kept;
 * a word's leading space is part of its first token ("▁"), so detokenization restores
 * the spacing; characters never seen in training fall back to UTF-8 byte tokens, so no
 * input is ever unknown.
 * @module
 */
import { EOS, SOS, Vocabulary } from "./vocabulary.ts";
import type { TextCodec } from "./codec.ts";
import { VamosError } from "../errors.ts";

/** The marker of a space before a word. */
export const SPACE = "▁";

// A piece: optional spaces, then a run of letters/digits (apostrophes inside), or one
// other character. Spaces become one leading "▁".
const PIECE = /\s*(?:[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}])/gu;

/** Splits normalized text into pieces, each with "▁" for a preceding space. */
export function pretokenize(text: string): string[] {
  const pieces = text.normalize("NFC").match(PIECE) ?? [];
  return pieces.map((p) => (/^\s/.test(p) ? SPACE + p.trimStart() : p));
}

function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/** Options of {@linkcode BpeCodec.train}. */
export interface BpeTrainOptions {
  /** Vocabulary size to reach, special and byte tokens included (default 8000). */
  vocabSize?: number;
  /** Characters seen fewer times are left to the byte fallback (default 2). */
  minCharCount?: number;
}

/**
 * A byte-pair-encoding tokenizer: its merge list defines it.
 *
 * @example
 * ```ts
 * import { BpeCodec } from "@vamos/transformer";
 * import { equal } from "node:assert/strict";
 * const bpe = BpeCodec.train(["Let's go.", "¿Dónde está el baño?", "Vamos."], { vocabSize: 300 });
 * const tokens = bpe.tokenize("¿Dónde está?");
 * equal(bpe.detokenize(tokens), "¿Dónde está?");
 * equal(bpe.detokenize(bpe.tokenize("日本")), "日本"); // unseen characters: byte tokens
 * ```
 */
export class BpeCodec implements TextCodec {
  /** Always "bpe". */
  readonly kind = "bpe";
  /** The vocabulary: specials, bytes, characters, then merged tokens in merge order. */
  readonly vocabulary: Vocabulary;
  readonly #rank = new Map<string, number>();
  readonly #cache = new Map<string, string[]>();

  /** A codec from its base characters and merges (pairs of tokens, in order). */
  constructor(
    readonly chars: readonly string[],
    readonly merges: readonly (readonly [string, string])[],
  ) {
    const tokens = [EOS, SOS];
    for (let b = 0; b < 256; b++) tokens.push(byteToken(b));
    tokens.push(...chars);
    merges.forEach(([a, b], i) => {
      this.#rank.set(`${a}\u0000${b}`, i);
      tokens.push(a + b);
    });
    this.vocabulary = new Vocabulary([...new Set(tokens)]);
  }

  /** Learns merges from sentences of both languages until the vocabulary has vocabSize tokens. */
  static train(sentences: Iterable<string>, opts: BpeTrainOptions = {}): BpeCodec {
    const vocabSize = opts.vocabSize ?? 8000;
    const wordCounts = new Map<string, number>();
    for (const s of sentences) {
      for (const p of pretokenize(s)) wordCounts.set(p, (wordCounts.get(p) ?? 0) + 1);
    }
    const charCounts = new Map<string, number>();
    for (const [w, n] of wordCounts) {
      for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + n);
    }
    const chars = [...charCounts].filter(([, n]) => n >= (opts.minCharCount ?? 2)).map(([c]) => c)
      .sort();
    const symbols = new Symbols(chars);
    const words = new PairCounts(symbolWords(wordCounts, symbols));
    const merges: [string, string][] = [];
    const budget = vocabSize - 2 - 256 - chars.length;
    while (merges.length < budget) {
      const best = words.mostFrequent();
      if (best === undefined) break;
      const [a, b] = best;
      merges.push([symbols.of(a), symbols.of(b)]);
      words.merge(a, b, symbols.intern(symbols.of(a) + symbols.of(b)));
    }
    return new BpeCodec(chars, merges);
  }

  #encodePiece(piece: string): string[] {
    const cached = this.#cache.get(piece);
    if (cached) return cached;
    // Start from characters; unknown ones become their UTF-8 bytes.
    let parts: string[] = [];
    for (const ch of piece) {
      if (this.vocabulary.id(ch) !== undefined) parts.push(ch);
      else for (const b of new TextEncoder().encode(ch)) parts.push(byteToken(b));
    }
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.#rank.get(`${parts[i]}\u0000${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = this.merges[bestRank];
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(parts[i]);
      }
      parts = next;
    }
    if (this.#cache.size < 200_000) this.#cache.set(piece, parts);
    return parts;
  }

  /** Text to subword tokens. */
  tokenize(text: string): string[] {
    return pretokenize(text).flatMap((p) => this.#encodePiece(p));
  }

  /**
   * Tokens of a sentence to translate: as {@linkcode tokenize}, except for words whose
   * capitals split them into pieces the model never learned together (the training data
   * has most words only in lowercase). A capitalized first word that splits into more
   * pieces than its mid-sentence lowercase form is taken in that form ("Marry" → "Mar ry",
   * but "▁marry" is one token). In text written in capitals only, a word that is not
   * itself a token (as "▁TV" is) is taken as Title or lowercase, whichever splits into
   * fewer pieces (the more frequent on a tie: the one whose rarest piece was learned
   * first), so "I AM HUNGRY." reads as "I am hungry."; capitals beside lowercase text are
   * acronyms ("AIDS"), and capitalized words mid-sentence mostly names ("in May",
   * "Tibet"), which other casings would turn into other words: both are left alone.
   */
  tokenizeSource(text: string): string[] {
    // Of several spellings, the tokens of the one in the fewest pieces; on a tie, the one
    // whose rarest piece the merges learned first (token ids follow merge order).
    const rarest = (t: string[]) => Math.max(...t.map((x) => this.vocabulary.id(x) ?? 0));
    const fewest = (forms: string[]) =>
      forms.map((f) => this.#encodePiece(f)).reduce((best, t) =>
        t.length < best.length || (t.length === best.length && rarest(t) < rarest(best)) ? t : best
      );
    // Capitals in text with lowercase letters are acronyms ("AIDS"), not shouting.
    const shouting = !/\p{Ll}/u.test(text);
    return pretokenize(text).flatMap((piece, i) => {
      const asIs = this.#encodePiece(piece);
      const spaced = piece.startsWith(SPACE);
      const word = spaced ? piece.slice(1) : piece;
      const lower = word.toLowerCase(), at = spaced ? SPACE : "";
      // A lone capital in shouted text ("LET'S") is lowercase, but for the pronoun.
      if (shouting && /^\p{Lu}$/u.test(word) && word !== "I") return this.#encodePiece(at + lower);
      if (asIs.length === 1) return asIs;
      if (shouting && /^\p{Lu}[\p{Lu}'’]+$/u.test(word)) {
        const title = word[0] + lower.slice(1);
        return fewest([at + title, at + lower]);
      }
      if (i === 0 && !spaced && /^\p{Lu}\p{Ll}/u.test(word)) {
        const mid = this.#encodePiece(SPACE + lower);
        return mid.length < asIs.length ? mid : asIs;
      }
      return asIs;
    });
  }

  /** Subword tokens to text: "▁" becomes a space, byte tokens are decoded as UTF-8. */
  detokenize(tokens: readonly string[]): string {
    let out = "";
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) out += new TextDecoder().decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const t of tokens) {
      const m = /^<0x([0-9A-F]{2})>$/.exec(t);
      if (m) bytes.push(parseInt(m[1], 16));
      else {
        flush();
        if (t !== EOS && t !== SOS) out += t;
      }
    }
    flush();
    return out.replaceAll(SPACE, " ").replace(/^ /, "");
  }

  /** What a checkpoint stores to rebuild this codec. */
  metadata(): Record<string, string> {
    return { bpe_chars: JSON.stringify(this.chars), bpe_merges: JSON.stringify(this.merges) };
  }

  /**
   * Rebuilds a codec from checkpoint metadata, checking it first: the base characters
   * are distinct single characters, and each merge joins two tokens that exist by then.
   */
  static fromMetadata(m: Record<string, string>): BpeCodec {
    let chars: unknown, merges: unknown;
    try {
      chars = JSON.parse(m.bpe_chars);
      merges = JSON.parse(m.bpe_merges);
    } catch {
      throw new VamosError(
        "The checkpoint's BPE tokenizer (bpe_chars, bpe_merges) is missing or not JSON",
      );
    }
    if (!Array.isArray(chars) || !Array.isArray(merges)) {
      throw new VamosError("The checkpoint's bpe_chars and bpe_merges must be JSON arrays");
    }
    const known = new Set<string>();
    chars.forEach((ch, i) => {
      if (typeof ch !== "string" || [...ch].length !== 1 || known.has(ch)) {
        throw new VamosError(
          `The checkpoint's bpe_chars[${i}] is ${JSON.stringify(ch)}: not a new single character`,
        );
      }
      known.add(ch);
    });
    merges.forEach((pair, i) => {
      if (
        !Array.isArray(pair) || pair.length !== 2 ||
        !pair.every((t) => typeof t === "string" && known.has(t))
      ) {
        throw new VamosError(
          `The checkpoint's bpe_merges[${i}] is ${
            JSON.stringify(pair).slice(0, 60)
          }: not a pair of tokens known by then`,
        );
      }
      known.add(pair[0] + pair[1]);
    });
    return new BpeCodec(chars, merges);
  }
}

// Symbols (characters, then merged pieces) by id, and ids by symbol.
class Symbols {
  readonly #ids = new Map<string, number>();
  readonly #symbols: string[] = [];

  constructor(chars: readonly string[]) {
    chars.forEach((c) => this.intern(c));
  }

  intern(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#symbols.length;
      this.#symbols.push(s);
      this.#ids.set(s, id);
    }
    return id;
  }

  id(s: string): number | undefined {
    return this.#ids.get(s);
  }

  of(id: number): string {
    return this.#symbols[id];
  }
}

// Words as symbol sequences with their counts, in word order; rare characters split the
// word (they become bytes later), and parts of one symbol have no pair to merge.
function symbolWords(
  wordCounts: Map<string, number>,
  symbols: Symbols,
): { words: number[][]; freqs: number[] } {
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [w, n] of [...wordCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    let part: number[] = [];
    for (const ch of w) {
      const id = symbols.id(ch);
      if (id === undefined) {
        if (part.length > 1) {
          words.push(part);
          freqs.push(n);
        }
        part = [];
      } else part.push(id);
    }
    if (part.length > 1) {
      words.push(part);
      freqs.push(n);
    }
  }
  return { words, freqs };
}

const key = (a: number, b: number) => a * 1048576 + b;

// The count of every adjacent symbol pair over the words, the words each pair occurs in,
// and a max-heap of (count, pair) with lazy deletion (stale entries are skipped on pop).
// Ties go to the lower pair key, so training is deterministic.
class PairCounts {
  readonly #counts = new Map<number, number>();
  readonly #where = new Map<number, Set<number>>();
  readonly #heap: [number, number][] = [];
  readonly #words: number[][];
  readonly #freqs: number[];

  constructor({ words, freqs }: { words: number[][]; freqs: number[] }) {
    this.#words = words;
    this.#freqs = freqs;
    words.forEach((_, wi) => this.#addPairs(wi, 1));
    for (const [k, n] of this.#counts) this.#push([n, k]);
  }

  // The most frequent pair seen at least twice (and forgets it), if any.
  mostFrequent(): [number, number] | undefined {
    while (this.#heap.length) {
      const [n, k] = this.#pop();
      if (this.#counts.get(k) !== n || n < 2) continue;
      return [Math.floor(k / 1048576), k % 1048576];
    }
    return undefined;
  }

  // Replaces pair (a, b) by `merged` in every word it occurs in, updating the counts.
  merge(a: number, b: number, merged: number): void {
    const k = key(a, b), touched = new Map<number, number>();
    for (const wi of this.#where.get(k) ?? []) {
      const w = this.#words[wi];
      // Remove this word's pairs, merge, add them back; remember changed counts.
      for (let i = 0; i + 1 < w.length; i++) touched.set(key(w[i], w[i + 1]), 0);
      this.#addPairs(wi, -1);
      const out: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(w[i]);
      }
      this.#words[wi] = out;
      this.#addPairs(wi, 1);
      for (let i = 0; i + 1 < out.length; i++) touched.set(key(out[i], out[i + 1]), 0);
    }
    this.#where.delete(k);
    this.#counts.delete(k);
    for (const t of touched.keys()) {
      const c = this.#counts.get(t);
      if (c !== undefined && c > 0) this.#push([c, t]);
    }
  }

  #addPairs(wi: number, sign: number): void {
    const w = this.#words[wi];
    for (let i = 0; i + 1 < w.length; i++) {
      const k = key(w[i], w[i + 1]);
      this.#counts.set(k, (this.#counts.get(k) ?? 0) + sign * this.#freqs[wi]);
      if (sign > 0) {
        let s = this.#where.get(k);
        if (!s) this.#where.set(k, s = new Set());
        s.add(wi);
      }
    }
  }

  #push(e: [number, number]): void {
    const heap = this.#heap;
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!better(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }

  #pop(): [number, number] {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && better(heap[l], heap[m])) m = l;
        if (r < heap.length && better(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}

function better(x: [number, number], y: [number, number]): boolean {
  return x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]);
}
