/**
 * A Runtime owns one wasm linear memory and the kernels instantiated over it.
 * Memory is handed out by a bump allocator; `mark()` / `release()` make the tail of it
 * an arena for one step's activations. JavaScript views are re-created whenever the
 * memory has grown, so no stale view survives a growth.
 * @module
 */
import { instantiateKernels, type KernelExports, type KernelVariant } from "./wasm.ts";
import { IntBuffer, Tensor } from "./tensor.ts";

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
}

/** One wasm memory, its kernels and its allocator. */
export class Runtime {
  /** The wasm memory every tensor of this runtime lives in. */
  readonly memory: WebAssembly.Memory;
  /** The kernels, bound to this memory. */
  readonly kernels: KernelExports;
  #top: number;
  readonly #poison: boolean;
  #f32?: Float32Array;
  #i32?: Int32Array;
  #u8?: Uint8Array;

  /** Creates a runtime with its own memory. */
  constructor(options: RuntimeOptions = {}) {
    const pages = Math.max(1, Math.ceil((options.initialBytes ?? 4 * 1024 * 1024) / PAGE));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
    this.kernels = instantiateKernels(this.memory, options.variant);
    this.#poison = options.poison ?? false;
    this.#top = align(this.kernels.heapBase());
    const wsBytes = Number(this.kernels.MATMUL_WORKSPACE_BYTES.value);
    const ws = this.allocBytes(wsBytes);
    this.kernels.setWorkspace(ws, wsBytes);
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
    if (zero) this.u8.fill(0, ptr, end);
    else if (this.#poison) this.f32.fill(NaN, ptr >> 2, end >> 2);
    return ptr;
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
