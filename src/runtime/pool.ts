/**
 * A pool of module workers that run kernels on the runtime's shared wasm memory. Work is
 * handed over through a small command block in that memory with Atomics: no postMessage
 * per call, no copies. Workers start from a data: URL (no permission needed in Deno),
 * and each one exits by itself after a short idle time, so a program that is done exits;
 * the pool starts them again when work comes.
 * @module
 */

// Slot layout per worker: Int32 [state, op] at slot·64; Float64 args at argsBase + slot·256.
const STATE_READY = 0, STATE_JOB = 1, STATE_EXITED = 2, STATE_SHUTDOWN = 3, STATE_CLAIMED = 4;
const STATE_ERROR = 5, STATE_STARTING = -1;
/** Bytes of command block each worker needs. */
export const SLOT_BYTES = 64 + 256;
const MAX_ARGS = 30;
// Polls of the state word before sleeping on it (about 50 µs).
const SPIN = 20000;

// The worker, as plain JavaScript (it is loaded from a data: URL).
const WORKER_SOURCE = `
self.onmessage = (e) => {
  const { module, memory, ctrl, args, workspace, workspaceBytes, names, idleMs } = e.data;
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  ex.setWorkspace(workspace, workspaceBytes);
  const c = new Int32Array(memory.buffer, ctrl, 2);
  const a = new Float64Array(memory.buffer, args, 32);
  Atomics.store(c, 0, ${STATE_READY});
  Atomics.notify(c, 0);
  for (;;) {
    const s = Atomics.load(c, 0);
    if (s === ${STATE_JOB}) {
      try {
        const n = a[30];
        const r = ex[names[c[1]]](...Array.prototype.slice.call(a, 0, n));
        a[31] = typeof r === "number" ? r : 0;
        Atomics.store(c, 0, ${STATE_READY});
      } catch (err) {
        a[31] = 0;
        Atomics.store(c, 0, ${STATE_ERROR});
      }
      Atomics.notify(c, 0);
    } else if (s === ${STATE_READY}) {
      // Kernels come in bursts: spin a little before sleeping, since waking a sleeping
      // thread costs tens of microseconds.
      let spins = 0;
      while (Atomics.load(c, 0) === ${STATE_READY} && ++spins < ${SPIN});
      if (spins < ${SPIN}) continue;
      if (Atomics.wait(c, 0, ${STATE_READY}, idleMs) === "timed-out" &&
          Atomics.compareExchange(c, 0, ${STATE_READY}, ${STATE_EXITED}) === ${STATE_READY}) break;
    } else if (s === ${STATE_CLAIMED}) {
      Atomics.wait(c, 0, ${STATE_CLAIMED}, 50);
    } else break;
  }
  self.close();
};
`;

/** What a pool needs from its runtime. */
export interface PoolHost {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** Byte offset of the command block (workers × SLOT_BYTES). */
  commandBlock: number;
  /** Per worker, its own matmul workspace. */
  workspaces: number[];
  workspaceBytes: number;
}

/** Worker threads over one shared memory. */
export class WorkerPool {
  readonly #host: PoolHost;
  readonly #names: string[];
  readonly #workers: (Worker | undefined)[];
  readonly #idleMs: number;
  readonly #canBlock: boolean;
  #url?: string;

  /** A pool of `size` workers (they start on first use). */
  constructor(host: PoolHost, size: number, names: string[], idleMs = 250) {
    this.#host = host;
    this.#names = names;
    this.#workers = new Array(size).fill(undefined);
    this.#idleMs = idleMs;
    // A browser's main thread may not block; there we spin instead.
    let canBlock = true;
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    } catch {
      canBlock = false;
    }
    this.#canBlock = canBlock;
    for (let i = 0; i < size; i++) this.#ctrl(i)[0] = STATE_EXITED;
  }

  /** Number of workers (threads besides the caller's). */
  get size(): number {
    return this.#workers.length;
  }

  #ctrl(i: number): Int32Array {
    return new Int32Array(this.#host.memory.buffer, this.#host.commandBlock + i * 64, 2);
  }

  #args(i: number): Float64Array {
    const base = this.#host.commandBlock + this.#workers.length * 64;
    return new Float64Array(this.#host.memory.buffer, base + i * 256, 32);
  }

  #wait(c: Int32Array, value: number): void {
    // Spin first: a job is usually done within microseconds of our own share.
    for (let spins = 0; spins < SPIN; spins++) if (Atomics.load(c, 0) !== value) return;
    while (Atomics.load(c, 0) === value) {
      if (this.#canBlock) Atomics.wait(c, 0, value, 100);
    }
  }

  #start(i: number): void {
    this.#url ??= `data:application/javascript,${encodeURIComponent(WORKER_SOURCE)}`;
    const c = this.#ctrl(i);
    Atomics.store(c, 0, STATE_STARTING);
    const w = new Worker(this.#url, { type: "module" });
    const h = this.#host;
    w.postMessage({
      module: h.module,
      memory: h.memory,
      ctrl: h.commandBlock + i * 64,
      args: h.commandBlock + this.#workers.length * 64 + i * 256,
      workspace: h.workspaces[i],
      workspaceBytes: h.workspaceBytes,
      names: this.#names,
      idleMs: this.#idleMs,
    });
    this.#workers[i] = w;
    this.#wait(c, STATE_STARTING);
  }

  // Claims worker i for a job, starting it if it has exited.
  #claim(i: number): void {
    const c = this.#ctrl(i);
    for (;;) {
      const prev = Atomics.compareExchange(c, 0, STATE_READY, STATE_CLAIMED);
      if (prev === STATE_READY) return;
      if (prev === STATE_EXITED || prev === STATE_SHUTDOWN || prev === STATE_ERROR) this.#start(i);
      else this.#wait(c, prev);
    }
  }

  /**
   * Runs export `op` once per argument list: the first on the calling thread, the others
   * on workers, and returns when all are done, with each call's return value.
   */
  run(op: number, jobs: number[][], callerRun: (args: number[]) => number): number[] {
    const n = jobs.length - 1;
    if (n > this.#workers.length) {
      throw new RangeError(`${jobs.length} jobs for ${this.#workers.length + 1} threads`);
    }
    for (let i = 0; i < n; i++) {
      this.#claim(i);
      const a = this.#args(i), args = jobs[i + 1];
      if (args.length > MAX_ARGS) throw new RangeError("too many kernel arguments");
      for (let k = 0; k < args.length; k++) a[k] = args[k];
      a[30] = args.length;
      const c = this.#ctrl(i);
      c[1] = op;
      Atomics.store(c, 0, STATE_JOB);
      Atomics.notify(c, 0);
    }
    const results = [callerRun(jobs[0])];
    let failed = false;
    for (let i = 0; i < n; i++) {
      const c = this.#ctrl(i);
      this.#wait(c, STATE_JOB);
      if (Atomics.load(c, 0) === STATE_ERROR) failed = true;
      results.push(this.#args(i)[31]);
    }
    if (failed) throw new Error(`a worker failed in kernel ${this.#names[op]}`);
    return results;
  }

  /** Stops every worker now. */
  close(): void {
    for (let i = 0; i < this.#workers.length; i++) {
      const w = this.#workers[i];
      if (!w) continue;
      const c = this.#ctrl(i);
      Atomics.store(c, 0, STATE_SHUTDOWN);
      Atomics.notify(c, 0);
      w.terminate();
      this.#workers[i] = undefined;
    }
  }
}
