/**
 * Dynamic batching for a translation server: texts from requests that arrive together
 * are translated as one batch. A batch starts when the previous one is done and a short
 * collection window has passed (or the waiting texts reach a token budget); since a
 * batch runs on this thread, requests arriving meanwhile simply wait for the next one.
 * Each request gets its own results, in its own order; a bounded queue refuses new work
 * instead of growing without limit.
 * @module
 */
import type { TextResult } from "../model/batch_translate.ts";
import { VamosError } from "../errors.ts";

/** What the batcher needs of a model: per-text results for any number of texts. */
export interface EachTranslator {
  translateEach(texts: readonly string[]): TextResult[];
}

/** Options of {@linkcode Batcher}. */
export interface BatcherOptions {
  /** Most texts waiting at once; more are refused with {@linkcode QueueFullError} (default 1000). */
  maxQueue?: number;
  /** How long to wait for more requests before a batch starts, in ms (default 2). */
  windowMs?: number;
  /** Characters of text that start a batch at once, without waiting (default 20,000). */
  batchChars?: number;
}

/** The queue is full: the server answers 429. */
export class QueueFullError extends VamosError {}

interface Job {
  texts: readonly string[];
  resolve: (r: TextResult[]) => void;
  reject: (e: unknown) => void;
}

/** Collects texts from concurrent requests and translates them in shared batches. */
export class Batcher {
  readonly #model: EachTranslator;
  readonly #maxQueue: number;
  readonly #windowMs: number;
  readonly #batchChars: number;
  #jobs: Job[] = [];
  #waiting = 0;
  #chars = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #running = false;
  /** Batches run so far, and texts in them (for the health endpoint and benchmarks). */
  readonly stats = { batches: 0, texts: 0 };

  /** A batcher over `model`. */
  constructor(model: EachTranslator, opts: BatcherOptions = {}) {
    this.#model = model;
    this.#maxQueue = opts.maxQueue ?? 1000;
    this.#windowMs = opts.windowMs ?? 2;
    this.#batchChars = opts.batchChars ?? 20_000;
  }

  /** Texts waiting for a batch. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Translates `texts` in the next batch; rejects with QueueFullError when the queue is full. */
  translate(texts: readonly string[]): Promise<TextResult[]> {
    if (this.#waiting + texts.length > this.#maxQueue) {
      return Promise.reject(
        new QueueFullError(
          `The server has ${this.#waiting} texts waiting (at most ${this.#maxQueue}); try again later`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#jobs.push({ texts, resolve, reject });
      this.#waiting += texts.length;
      for (const t of texts) this.#chars += t.length;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#timer !== undefined) return;
    const delay = this.#chars >= this.#batchChars ? 0 : this.#windowMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, delay);
  }

  #run(): void {
    const jobs = this.#jobs;
    this.#jobs = [];
    this.#waiting = 0;
    this.#chars = 0;
    if (!jobs.length) return;
    this.#running = true;
    try {
      const texts = jobs.flatMap((j) => j.texts);
      let results: TextResult[];
      try {
        results = this.#model.translateEach(texts);
      } catch (e) {
        for (const j of jobs) j.reject(e);
        return;
      }
      this.stats.batches++;
      this.stats.texts += texts.length;
      let at = 0;
      for (const j of jobs) {
        j.resolve(results.slice(at, at + j.texts.length));
        at += j.texts.length;
      }
    } finally {
      this.#running = false;
      if (this.#jobs.length) this.#schedule();
    }
  }

  /** Resolves once every text handed in so far has been translated. */
  async drain(): Promise<void> {
    while (this.#jobs.length || this.#running || this.#timer !== undefined) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
