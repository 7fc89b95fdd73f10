/**
 * A Tensor is a view into a Runtime's memory: a row-major matrix at a byte offset,
 * with a row stride `ld` (in floats) so that column slices (one attention head, the
 * query part of a packed projection) are views too, never copies.
 * @module
 */
import type { Runtime } from "./runtime.ts";

/** A strided f32 matrix view into wasm memory. */
export class Tensor {
  /** Creates a view; use {@linkcode Runtime.tensor} to allocate one. */
  constructor(
    readonly rt: Runtime,
    readonly ptr: number,
    readonly rows: number,
    readonly cols: number,
    readonly ld: number = cols,
  ) {}

  /** Number of elements. */
  get size(): number {
    return this.rows * this.cols;
  }

  /** True when rows follow each other with no gap. */
  get contiguous(): boolean {
    return this.ld === this.cols || this.rows <= 1;
  }

  /** Columns [c0, c1) of every row, as a view. */
  colSlice(c0: number, c1: number): Tensor {
    return new Tensor(this.rt, this.ptr + c0 * 4, this.rows, c1 - c0, this.ld);
  }

  /** Rows [r0, r1), as a view. */
  rowSlice(r0: number, r1: number): Tensor {
    return new Tensor(this.rt, this.ptr + r0 * this.ld * 4, r1 - r0, this.cols, this.ld);
  }

  /** The same memory seen as rows × cols (contiguous tensors only). */
  reshape(rows: number, cols: number): Tensor {
    if (!this.contiguous || rows * cols !== this.size) {
      throw new RangeError(`Cannot reshape [${this.rows}, ${this.cols}] to [${rows}, ${cols}]`);
    }
    return new Tensor(this.rt, this.ptr, rows, cols, cols);
  }

  /** A live Float32Array over a contiguous tensor (invalid after memory grows). */
  view(): Float32Array {
    if (!this.contiguous) throw new RangeError("view() needs a contiguous tensor; use toArray()");
    return this.rt.f32.subarray(this.ptr >>> 2, (this.ptr >>> 2) + this.size);
  }

  /** A copy of the values, row by row. */
  toArray(): Float32Array {
    const out = new Float32Array(this.size);
    const f = this.rt.f32;
    for (let r = 0; r < this.rows; r++) {
      const s = (this.ptr >>> 2) + r * this.ld;
      out.set(f.subarray(s, s + this.cols), r * this.cols);
    }
    return out;
  }

  /** Copies `values` (row by row) into the tensor. */
  set(values: ArrayLike<number>): this {
    if (values.length !== this.size) {
      throw new RangeError(`Expected ${this.size} values, got ${values.length}`);
    }
    const f = this.rt.f32;
    for (let r = 0; r < this.rows; r++) {
      const s = (this.ptr >>> 2) + r * this.ld;
      for (let c = 0; c < this.cols; c++) f[s + c] = values[r * this.cols + c];
    }
    return this;
  }

  /** Sets every element to zero. */
  zero(): this {
    if (this.contiguous) {
      this.rt.zeroBytes(this.ptr, 4 * this.size);
      return this;
    }
    for (let r = 0; r < this.rows; r++) {
      this.rt.zeroBytes(this.ptr + 4 * r * this.ld, 4 * this.cols);
    }
    return this;
  }
}

/** A view of `length` i32 values in wasm memory (token ids, labels, lengths). */
export class IntBuffer {
  /** Creates a view; use {@linkcode Runtime.ints} to allocate one. */
  constructor(readonly rt: Runtime, readonly ptr: number, readonly length: number) {}

  /** Copies `values` in. */
  set(values: ArrayLike<number>, offset = 0): this {
    if (values.length + offset > this.length) {
      throw new RangeError(`Expected at most ${this.length - offset} values, got ${values.length}`);
    }
    this.rt.i32.set(values, (this.ptr >>> 2) + offset);
    return this;
  }

  /** A copy of the values. */
  toArray(): Int32Array {
    return this.rt.i32.slice(this.ptr >>> 2, (this.ptr >>> 2) + this.length);
  }
}
