/**
 * The language pairs a server translates, each opened on its first request: a server
 * that is only ever asked for English→Spanish never loads the Spanish→English model.
 * Each pair has its own model and batcher; the batches of both run on the one thread in
 * turn, so a second pair costs memory only once it is used.
 * @module
 */
import { Batcher, type BatcherOptions } from "./batcher.ts";
import type { Transformer } from "../model/model.ts";
import { type Direction, languagesOf } from "../text/languages.ts";

/** One opened pair: its batcher, and beam search's n best for `alternatives`. */
export interface PairTranslator {
  /** Translates texts in shared batches. */
  batcher: Batcher;
  /** The n best translations of one text. */
  nbest(text: string, n: number): string[];
}

/** A language as LibreTranslate's `/languages` lists it. */
export interface Language {
  code: string;
  name: string;
  targets: string[];
}

const NAMES: Record<string, string> = { en: "English", es: "Spanish" };

/** The pairs served, by direction, each model opened once on first use and then kept. */
export class LanguagePairs {
  readonly #open: Partial<Record<Direction, () => Promise<Transformer>>>;
  readonly #batcher: BatcherOptions;
  readonly #opened = new Map<Direction, Promise<{ model: Transformer; pair: PairTranslator }>>();

  /** Pairs from a loader per direction; `batcher` configures each pair's batcher. */
  constructor(
    open: Partial<Record<Direction, () => Promise<Transformer>>>,
    batcher: BatcherOptions = {},
  ) {
    if (!Object.keys(open).length) throw new RangeError("a server needs a language pair");
    this.#open = open;
    this.#batcher = batcher;
  }

  /** The directions served, in the order given. */
  get directions(): Direction[] {
    return Object.keys(this.#open) as Direction[];
  }

  /** The direction from `source` to `target`, if served. */
  find(source: string, target: string): Direction | undefined {
    return this.directions.find((d) => d === `${source}-${target}`);
  }

  /** The languages, as `/languages` lists them: every source with its targets. */
  languages(): Language[] {
    const out: Language[] = [];
    const entry = (code: string) => {
      let l = out.find((x) => x.code === code);
      if (!l) out.push(l = { code, name: NAMES[code] ?? code, targets: [] });
      return l;
    };
    for (const d of this.directions) {
      const { source, target } = languagesOf(d);
      entry(source).targets.push(target);
      entry(target);
    }
    return out;
  }

  /** The opened pair of `direction`, loading its model on the first call. */
  get(direction: Direction): Promise<PairTranslator> {
    let opening = this.#opened.get(direction);
    if (!opening) {
      const open = this.#open[direction];
      if (!open) return Promise.reject(new RangeError(`${direction} is not served`));
      opening = open().then((model) => ({
        model,
        pair: {
          batcher: new Batcher(model, this.#batcher),
          nbest: (text: string, n: number) =>
            model.translateNBest(text, { beam: n, nbest: n }).map((h) => h.translation),
        },
      }));
      // A model that failed to open is tried again by the next request.
      opening.catch(() => this.#opened.delete(direction));
      this.#opened.set(direction, opening);
    }
    return opening.then((o) => o.pair);
  }

  /** The pairs opened so far, with their batchers (for `/health`). */
  async loaded(): Promise<[Direction, Batcher][]> {
    const out: [Direction, Batcher][] = [];
    for (const [d, opening] of this.#opened) {
      const o = await opening.catch(() => undefined);
      if (o) out.push([d, o.pair.batcher]);
    }
    return out;
  }

  /** Finishes every batch handed in, then closes the models. */
  async close(): Promise<void> {
    for (const [, batcher] of await this.loaded()) await batcher.drain();
    for (const opening of this.#opened.values()) {
      (await opening.catch(() => undefined))?.model.close();
    }
    this.#opened.clear();
  }
}
