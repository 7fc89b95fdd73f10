/**
 * All parameters of a model in one contiguous region of wasm memory, gradients in a
 * second region of the same layout, and Adam's moments in two more (as llm.c): a layer
 * holds views, saving is writing the region out, one Adam call updates everything.
 * @module
 */
import type { Runtime, Tensor } from "../runtime/runtime.ts";
import type { ParamSpec } from "./config.ts";
import { VamosError } from "../errors.ts";
import { Int8Weights } from "../kernels/matmul_int8.ts";

/** Where one parameter lives in the region. */
export interface ParamEntry extends ParamSpec {
  /** Offset in floats from the start of the region. */
  offset: number;
  size: number;
}

/**
 * Where each of `specs` lives in a parameter region, and the region's length in floats.
 * Every tensor starts 16-byte aligned, so vector loads of a row start aligned.
 */
export function layoutParams(
  specs: readonly ParamSpec[],
): { entries: ParamEntry[]; floats: number } {
  let floats = 0;
  const entries = specs.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const e = { ...s, offset: floats, size };
    floats += Math.ceil(size / 4) * 4;
    return e;
  });
  return { entries, floats };
}

/** The parameter, gradient and optimizer-moment regions of a model. */
export class ParamStore {
  /** All parameters, [1, count]. */
  readonly values: Tensor;
  /** All gradients, same layout. */
  readonly grads: Tensor;
  /** Adam's first and second moments, allocated on first use. */
  #m?: Tensor;
  #v?: Tensor;
  readonly entries: ParamEntry[];
  readonly #byName = new Map<string, ParamEntry>();
  // 8-bit copies of the matrices for inference, whether the weights moved since, and by a
  // view's first float the answers int8For gave (a decoding step asks for the same few
  // dozen views every time).
  #int8?: {
    byEntry: Map<ParamEntry, Int8Weights>;
    stale: boolean;
    found: Map<number, { rows: number; cols: number; ld: number; iw?: Int8Weights }>;
  };

  /** Lays out `specs` in a fresh region of `rt`. */
  constructor(readonly rt: Runtime, specs: ParamSpec[]) {
    const { entries, floats } = layoutParams(specs);
    this.entries = entries;
    for (const e of this.entries) this.#byName.set(e.name, e);
    this.values = rt.tensor(1, floats);
    this.grads = rt.tensor(1, floats);
  }

  /** Number of floats in the region (parameters plus alignment padding). */
  get count(): number {
    return this.values.cols;
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.entries.reduce((n, e) => n + e.size, 0);
  }

  /** Adam's moment regions (zeroed when first asked for). */
  moments(): { m: Tensor; v: Tensor } {
    this.#m ??= this.rt.tensor(1, this.count);
    this.#v ??= this.rt.tensor(1, this.count);
    return { m: this.#m, v: this.#v };
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Where a parameter lives: by its handle (the model's parameter tree) or its name. */
  entry(p: ParamSpec | string): ParamEntry {
    const name = typeof p === "string" ? p : p.name;
    const e = this.#byName.get(name);
    if (!e) throw new VamosError(`No parameter named "${name}"`);
    return e;
  }

  #view(region: Tensor, p: ParamSpec | string): Tensor {
    const e = this.entry(p);
    const [rows, cols] = e.shape.length === 1 ? [1, e.shape[0]] : [e.shape[0], e.shape[1]];
    return region.colSlice(e.offset, e.offset + e.size).reshape(rows, cols);
  }

  /** The parameter as a matrix view ([1, n] for vectors). */
  get(p: ParamSpec | string): Tensor {
    return this.#view(this.values, p);
  }

  /** Its gradient, same shape. */
  grad(p: ParamSpec | string): Tensor {
    return this.#view(this.grads, p);
  }

  /** Initializes every parameter: Xavier-uniform matrices, zero biases, unit norms. */
  initialize(random: () => number): void {
    const f = this.rt.f32;
    const base = this.values.ptr >>> 2;
    for (const e of this.entries) {
      const at = base + e.offset;
      if (e.init === "zeros") f.fill(0, at, at + e.size);
      else if (e.init === "ones") f.fill(1, at, at + e.size);
      else {
        const [fanOut, fanIn] = e.shape;
        const limit = Math.sqrt(6 / (fanIn + fanOut)); // Glorot & Bengio 2010
        for (let i = 0; i < e.size; i++) f[at + i] = (random() * 2 - 1) * limit;
      }
    }
  }

  /**
   * Keeps an 8-bit copy of every matrix ({@linkcode Int8Weights}) for inference, or
   * drops it. Allocates, so call it outside a pass.
   */
  useInt8(on: boolean): void {
    if (!on) {
      this.#int8 = undefined;
      return;
    }
    if (this.#int8) return;
    const byEntry = new Map<ParamEntry, Int8Weights>();
    for (const e of this.entries) {
      if (e.shape.length === 2) byEntry.set(e, Int8Weights.from(this.get(e)));
    }
    this.#int8 = { byEntry, stale: false, found: new Map() };
  }

  /** Whether inference uses 8-bit copies of the matrices. */
  get int8(): boolean {
    return this.#int8 !== undefined;
  }

  /** The weights changed (an optimizer step): 8-bit copies are redone before next use. */
  weightsChanged(): void {
    if (this.#int8) this.#int8.stale = true;
  }

  /**
   * The 8-bit copy of `w` when 8-bit inference is on and `w` is rows of a parameter
   * matrix (a view from {@linkcode get}, possibly row-sliced); otherwise undefined.
   */
  int8For(w: Tensor): Int8Weights | undefined {
    const q = this.#int8;
    if (!q || w.rt !== this.rt) return undefined;
    if (q.stale) {
      for (const [e, iw] of q.byEntry) {
        const v = this.get(e);
        this.rt.kernels.prepareInt8Weights(v.ptr, v.ld, v.rows, v.cols, iw.ptr, iw.scales, iw.sums);
      }
      q.stale = false;
    }
    // Not a view of the parameters (an activation, gathered shortlist rows): no copy, and
    // nothing remembered, so that the arena's addresses do not pile up here.
    const at = (w.ptr - this.values.ptr) / 4;
    if (!(at >= 0 && at < this.values.cols)) return undefined;
    const known = q.found.get(w.ptr);
    if (known && known.rows === w.rows && known.cols === w.cols && known.ld === w.ld) {
      return known.iw;
    }
    const iw = this.#int8Of(q.byEntry, w, at);
    q.found.set(w.ptr, { rows: w.rows, cols: w.cols, ld: w.ld, iw });
    return iw;
  }

  // The copy of view w, whose first float is parameter float `at`.
  #int8Of(byEntry: Map<ParamEntry, Int8Weights>, w: Tensor, at: number): Int8Weights | undefined {
    for (const [e, iw] of byEntry) {
      const cols = e.shape[1];
      if (at < e.offset || at >= e.offset + e.size) continue;
      const r0 = (at - e.offset) / cols;
      if (!Number.isInteger(r0) || w.cols !== cols || w.ld !== cols) return undefined;
      return r0 === 0 && w.rows === iw.rows ? iw : iw.rowSlice(r0, r0 + w.rows);
    }
    return undefined;
  }

  /** Sets every gradient to zero. */
  zeroGrads(): void {
    this.grads.zero();
  }
}
