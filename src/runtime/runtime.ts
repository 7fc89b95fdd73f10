/**
 * A Runtime owns one wasm linear memory and the kernels instantiated over it.
 * Memory is handed out by a bump allocator; `mark()` / `release()` make the tail of it
 * an arena for one step's activations. JavaScript views are re-created whenever the
 * memory has grown, so no stale view survives a growth. Its views, a Tensor (a
 * row-major matrix at a byte offset, with a row stride `ld` in floats so that column
 * slices, one attention head or the query part of a packed projection, are views too,
 * never copies) and an IntBuffer, live here with it: each needs the other.
 * @module
 */
import { canShareMemory, isDeno } from "../host/host.ts";
import {
  bestVariant,
  instantiateKernels,
  type KernelExports,
  kernelModule,
  type KernelVariant,
} from "./wasm.ts";
import { commandBlockBytes, WorkerPool } from "./pool.ts";

const PAGE = 65536;
const ALIGN = 64;
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

/** Options for {@linkcode Runtime}. */
export interface RuntimeOptions {
  /** Kernel build to use; defaults to the fastest one the engine validates. */
  variant?: KernelVariant;
  /** Initial memory in bytes (grows on demand). */
  initialBytes?: number;
  /**
   * Fill uninitialized allocations with NaN instead of leaving old values, so a kernel
   * that reads memory it was supposed to write shows up in tests.
   */
  poison?: boolean;
  /**
   * Threads to run kernels on, the caller's included (default 1). More than one needs
   * shared wasm memory; where it is unavailable (a browser page that is not
   * cross-origin isolated) the runtime falls back to one thread with a notice.
   */
  threads?: number;
}

let warnedNoSharedMemory = false;

/** The kernel exports, in the order the worker pool numbers them. */
export const PARALLEL_OPS = [
  "matmul",
  "matmulInt8",
  "matmulInt8List",
  "attentionForward",
  "attentionBackward",
  "softmaxForward",
  "layerNormForward",
  "reluForward",
  "reluBackward",
  "geluForward",
  "geluBackward",
  "adamStep",
  "add",
  "crossEntropy",
  "layerNormBackward",
  "layerNormParamGrads",
  "sumRows",
  "sumSquares",
  "dropoutForward",
  "dropoutBackward",
  "embeddingBackward",
  "topK",
  "attentionDecode",
] as const;
/** A kernel the pool can run. */
export type ParallelOp = typeof PARALLEL_OPS[number];

/** One wasm memory, its kernels and its allocator. */
export class Runtime {
  /** The wasm memory every tensor of this runtime lives in. */
  readonly memory: WebAssembly.Memory;
  /** The kernels, bound to this memory. */
  readonly kernels: KernelExports;
  /** Bytes of scratch memory each thread's kernels have (matmul's packed panels). */
  readonly workspaceBytes: number;
  #top: number;
  readonly #poison: boolean;
  readonly #shared: boolean;
  readonly #pool?: WorkerPool;
  #f32?: Float32Array;
  #i32?: Int32Array;
  #u8?: Uint8Array;

  /** Creates a runtime with its own memory. */
  constructor(options: RuntimeOptions = {}) {
    const pages = Math.max(1, Math.ceil((options.initialBytes ?? 4 * 1024 * 1024) / PAGE));
    let threads = Math.max(1, Math.floor(options.threads ?? 1));
    if (threads > 1 && !canShareMemory()) {
      if (!warnedNoSharedMemory) {
        console.warn(
          "@vamos/transformer: shared memory is unavailable here (is the page cross-origin isolated?); running on one thread.",
        );
        warnedNoSharedMemory = true;
      }
      threads = 1;
    }
    const shared = threads > 1;
    this.#shared = shared;
    const variant = options.variant ?? bestVariant();
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared });
    this.kernels = instantiateKernels(this.memory, variant, shared);
    this.#poison = options.poison ?? false;
    this.#top = align(this.kernels.heapBase());
    const wsBytes = Number(this.kernels.MATMUL_WORKSPACE_BYTES.value);
    this.workspaceBytes = wsBytes;
    const ws = this.allocBytes(wsBytes);
    this.kernels.setWorkspace(ws, wsBytes);
    if (shared) {
      const workers = threads - 1;
      const commandBlock = this.allocBytes(commandBlockBytes(workers));
      const workspaces = Array.from({ length: workers }, () => this.allocBytes(wsBytes));
      // Idle workers exit in Deno so that a finished program exits; a page keeps them (and
      // Node's are unref'd: they never keep a program alive).
      const idleMs = isDeno() ? 250 : Infinity;
      this.#pool = new WorkerPool(
        {
          memory: this.memory,
          module: kernelModule(variant, true),
          commandBlock,
          workspaces,
          workspaceBytes: wsBytes,
        },
        workers,
        [...PARALLEL_OPS],
        idleMs,
      );
    }
  }

  /** Kernel jobs run on worker threads so far (0 on one thread). */
  get workerJobs(): number {
    return this.#pool?.dispatched ?? 0;
  }

  /**
   * Milliseconds this thread has waited for workers to finish their jobs after its own, by
   * kernel (empty on one thread): the cost of uneven shares and of cores that run late.
   */
  get workerWaitMs(): Record<string, number> {
    return this.#pool?.waitedMs ?? {};
  }

  /** Threads kernels may use, the caller's included. */
  get threads(): number {
    return (this.#pool?.size ?? 0) + 1;
  }

  /**
   * Runs a kernel once per argument list in parallel (the first on this thread) and
   * returns the results. With one thread, runs them in turn.
   */
  parallel(op: ParallelOp, jobs: number[][]): number[] {
    // deno-lint-ignore no-explicit-any
    const fn = (this.kernels as any)[op] as (...a: number[]) => number;
    if (!this.#pool || jobs.length === 1) return jobs.map((a) => fn(...a));
    return this.#pool.run(PARALLEL_OPS.indexOf(op), jobs, (a) => fn(...a));
  }

  /**
   * Starts the worker threads and resolves, with the number of threads usable, once they
   * are running. Not needed for correctness (work runs on this thread until they are),
   * only for speed from the first call; workers that have not started after `timeoutMs`
   * (default 10 s) are given up, with one notice.
   */
  ready(timeoutMs?: number): Promise<number> {
    return this.#pool ? this.#pool.ready(timeoutMs) : Promise.resolve(1);
  }

  /** Stops the worker threads now (they also stop by themselves when idle). */
  close(): void {
    this.#pool?.close();
  }

  /**
   * Reserves `bytes` (64-byte aligned) and returns the byte offset. The memory is
   * zero-filled unless `zero` is false, when it holds whatever was there (NaN with
   * the poison option): for outputs a kernel overwrites completely.
   */
  allocBytes(bytes: number, zero = true): number {
    const ptr = this.#top;
    const end = align(ptr + Math.max(0, bytes));
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new RangeError(
          `Out of wasm memory: ${end} bytes needed, the limit is 4 GiB; use smaller batches`,
        );
      }
      this.memory.grow(pages);
    }
    this.#top = end;
    if (zero) this.zeroBytes(ptr, end - ptr);
    else if (this.#poison) this.f32.fill(NaN, ptr >>> 2, end >>> 2);
    return ptr;
  }
  /**
   * Zeroes `bytes` bytes at byte offset `ptr`. On a shared memory (threads) through the
   * kernels' bulk-memory fill: V8's TypedArray fill on a SharedArrayBuffer measured about a
   * tenth as fast (6.9 against 92 GB/s on 4 MiB, AMD EPYC), and a training step zeroes its
   * gradients (5 MB in the reference configuration) every step.
   */
  zeroBytes(ptr: number, bytes: number): void {
    if (bytes <= 0) return;
    if (this.#shared) this.kernels.zeroBytes(ptr, bytes);
    else this.u8.fill(0, ptr, ptr + bytes);
  }

  /** Allocates a zeroed f32 matrix of `rows` × `cols`. */
  tensor(rows: number, cols: number): Tensor {
    return new Tensor(this, this.allocBytes(rows * cols * 4), rows, cols, cols);
  }

  /** Allocates an f32 matrix without clearing it, for a kernel to overwrite. */
  scratch(rows: number, cols: number): Tensor {
    return new Tensor(this, this.allocBytes(rows * cols * 4, false), rows, cols, cols);
  }

  /** Allocates `n` zeroed i32 values. */
  ints(n: number): IntBuffer {
    return new IntBuffer(this, this.allocBytes(n * 4), n);
  }

  /** The current allocation mark; everything allocated after it is freed by `release`. */
  mark(): number {
    return this.#top;
  }

  /** Frees every allocation made since `mark` (an arena reset). */
  release(mark: number): void {
    this.#top = mark;
  }

  /** Bytes in use. */
  get usedBytes(): number {
    return this.#top;
  }

  /** A Float32Array over the whole memory, current even after growth. */
  get f32(): Float32Array {
    if (!this.#f32 || this.#f32.buffer !== this.memory.buffer) {
      this.#f32 = new Float32Array(this.memory.buffer);
    }
    return this.#f32;
  }

  /** An Int32Array over the whole memory, current even after growth. */
  get i32(): Int32Array {
    if (!this.#i32 || this.#i32.buffer !== this.memory.buffer) {
      this.#i32 = new Int32Array(this.memory.buffer);
    }
    return this.#i32;
  }

  /** A Uint8Array over the whole memory, current even after growth. */
  get u8(): Uint8Array {
    if (!this.#u8 || this.#u8.buffer !== this.memory.buffer) {
      this.#u8 = new Uint8Array(this.memory.buffer);
    }
    return this.#u8;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

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
