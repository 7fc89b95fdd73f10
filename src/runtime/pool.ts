/**
 * A pool of module workers that run kernels on the runtime's shared wasm memory. Work is
 * handed over through a small command block in that memory with Atomics: no postMessage
 * per call, no copies. A call's jobs are a queue that the calling thread and the ready
 * workers take from until it is empty, so nothing ever waits for a worker to start or to
 * wake up: workers start in the background ({@linkcode WorkerPool.ready} awaits them), and
 * jobs no worker takes run on the calling thread (same result: jobs are independent and
 * deterministic). That is what keeps a browser's main thread, which cannot run a worker
 * until it yields, from hanging. In Deno each worker exits by itself after a short idle
 * time, so a program that is done exits; the pool starts it again when work comes.
 * @module
 */

import { startWorker, type WorkerLike } from "../host/host.ts";

// The command block: per worker an Int32 [state, op, call, job count] at worker·64; after
// the workers' the queue, Int32 [call·2ᵇ + next job (b: jobBits), jobs done, a job failed],
// in 64 bytes; then jobCapacity job slots of Float64 (arguments, their count at 30, the
// result at 31), 256 bytes each. A job is claimed by one compare-and-swap of the first
// word, which names the call: a worker that wakes after its call is over finds another
// call's number there and claims nothing, so the caller waits for jobs done, never for a
// worker to wake.
const STATE_READY = 0, STATE_JOB = 1, STATE_EXITED = 2, STATE_SHUTDOWN = 3, STATE_CLAIMED = 4;
const STATE_ERROR = 5, STATE_STARTING = -1;
const JOB_BYTES = 256;
/**
 * Most jobs one {@linkcode WorkerPool.run} call takes with `workers` workers: two per
 * thread, the most any kernel cuts its work into.
 */
export function jobCapacity(workers: number): number {
  return 2 * (workers + 1);
}
const MAX_ARGS = 30;
/** Bytes of command block a pool of `workers` needs. */
export function commandBlockBytes(workers: number): number {
  return workers * 64 + 64 + jobCapacity(workers) * JOB_BYTES;
}
// Polls of a word before the caller sleeps on it (about 50 µs).
const SPIN = 20000;
// How long an idle worker polls for the next call before it sleeps. A decoding step calls
// a kernel worth splitting (the output layer) every 0.1–1 ms and the rest between is too
// small to share; a sleeping worker wakes tens of µs late, after the caller has done the
// jobs itself. Measured on one sentence at a time, 2 threads: see BENCHMARKS.md.
const IDLE_SPIN_MS = 2;
// Bits of the claim word for the job index: as few as the pool's jobs need, so that the
// call's number has the rest (28 bits with one worker) and a worker held up between
// reading the word and claiming from it would have to sleep through that many calls to
// mistake a later call for its own.
function jobBits(workers: number): number {
  return Math.ceil(Math.log2(jobCapacity(workers) + 1));
}
/** How long {@linkcode WorkerPool.ready} waits for workers before going on without them. */
export const WORKER_START_TIMEOUT_MS = 10_000;

// The worker, as plain JavaScript (loaded from a blob: or data: URL, so no file is read).
const WORKER_SOURCE = `
self.onmessage = (e) => {
  const {
    module, memory, ctrl, queue, jobs, capacity, workspace, workspaceBytes, names, idleMs, bits,
  } = e.data;
  const jobMask = (1 << bits) - 1;
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  ex.setWorkspace(workspace, workspaceBytes);
  const c = new Int32Array(memory.buffer, ctrl, 4);
  const q = new Int32Array(memory.buffer, queue, 3);
  const a = new Float64Array(memory.buffer, jobs, capacity * ${JOB_BYTES / 8});
  Atomics.store(c, 0, ${STATE_READY});
  Atomics.notify(c, 0);
  for (;;) {
    const s = Atomics.load(c, 0);
    if (s === ${STATE_JOB}) {
      // Take this call's jobs until none is left: a thread that is slow (or woke up late)
      // takes fewer, and the others more.
      const f = ex[names[c[1]]], call = c[2], count = c[3];
      let failed = false;
      for (;;) {
        const v = Atomics.load(q, 0), j = v & jobMask;
        if (v >>> bits !== call || j >= count) break;
        if (Atomics.compareExchange(q, 0, v, v + 1) !== v) continue;
        try {
          const base = j * ${JOB_BYTES / 8};
          const r = f(...Array.prototype.slice.call(a, base, base + a[base + 30]));
          a[base + 31] = typeof r === "number" ? r : 0;
        } catch (err) {
          failed = true;
          Atomics.store(q, 2, 1);
        }
        if (Atomics.add(q, 1, 1) + 1 === count) Atomics.notify(q, 1);
      }
      Atomics.compareExchange(c, 0, ${STATE_JOB}, failed ? ${STATE_ERROR} : ${STATE_READY});
    } else if (s === ${STATE_READY}) {
      // Kernels come in bursts: poll a while before sleeping, since waking a sleeping
      // thread costs tens of microseconds.
      const until = performance.now() + ${IDLE_SPIN_MS};
      // (CLAIMED: the caller is writing a job, a matter of nanoseconds.)
      let spins = 0, now = s;
      while ((now = Atomics.load(c, 0)) === ${STATE_READY} || now === ${STATE_CLAIMED}) {
        if ((++spins & 1023) === 0 && performance.now() > until) break;
      }
      if (now !== ${STATE_READY} && now !== ${STATE_CLAIMED}) continue;
      if (Atomics.wait(c, 0, ${STATE_READY}, idleMs) === "timed-out" &&
          Atomics.compareExchange(c, 0, ${STATE_READY}, ${STATE_EXITED}) === ${STATE_READY}) break;
    } else if (s === ${STATE_CLAIMED}) {
      Atomics.wait(c, 0, ${STATE_CLAIMED}, 50);
    } else break;
  }
  self.close();
};
`;

let warnedNoWorkers = false;

/** What a pool needs from its runtime. */
export interface PoolHost {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** Byte offset of the command block ({@linkcode commandBlockBytes} long). */
  commandBlock: number;
  /** Per worker, its own matmul workspace. */
  workspaces: number[];
  workspaceBytes: number;
}

/** Worker threads over one shared memory. */
export class WorkerPool {
  readonly #host: PoolHost;
  readonly #names: string[];
  readonly #workers: (WorkerLike | undefined)[];
  readonly #idleMs: number;
  readonly #canBlock: boolean;
  #failed = false;
  #dispatched = 0;
  #call = 0;
  readonly #bits: number;
  readonly #waitedMs: number[];

  /**
   * A pool of `size` workers (started by {@linkcode ready} or on first use). Idle
   * workers exit after `idleMs` (Infinity: never).
   */
  constructor(host: PoolHost, size: number, names: string[], idleMs = 250) {
    this.#host = host;
    this.#names = names;
    this.#workers = new Array(size).fill(undefined);
    this.#idleMs = idleMs;
    this.#waitedMs = names.map(() => 0);
    this.#bits = jobBits(size);
    // A browser's main thread may not block; there we spin instead (only ever on a
    // worker that is already running a job).
    let canBlock = true;
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    } catch {
      canBlock = false;
    }
    this.#canBlock = canBlock;
    for (let i = 0; i < size; i++) this.#ctrl(i)[0] = STATE_EXITED;
  }

  /** Jobs run on workers so far (for tests and benchmarks: did the threads really work?). */
  get dispatched(): number {
    return this.#dispatched;
  }

  /**
   * Milliseconds the calling thread has spent waiting for workers to finish, after running
   * its own share of the jobs, by kernel name (for benchmarks: where does a thread wait?).
   */
  get waitedMs(): Record<string, number> {
    return Object.fromEntries(this.#names.map((name, i) => [name, this.#waitedMs[i]]));
  }

  /** Number of workers (threads besides the caller's); 0 once they failed to start. */
  get size(): number {
    return this.#failed ? 0 : this.#workers.length;
  }

  #ctrl(i: number): Int32Array {
    return new Int32Array(this.#host.memory.buffer, this.#host.commandBlock + i * 64, 4);
  }

  #queue(): Int32Array {
    return new Int32Array(this.#host.memory.buffer, this.#queueOffset(), 3);
  }

  #queueOffset(): number {
    return this.#host.commandBlock + this.#workers.length * 64;
  }

  #jobs(): Float64Array {
    return new Float64Array(
      this.#host.memory.buffer,
      this.#queueOffset() + 64,
      jobCapacity(this.#workers.length) * JOB_BYTES / 8,
    );
  }

  // Waits until word i of w is `value` (it only grows towards it).
  #waitFor(w: Int32Array, i: number, value: number): void {
    // Spin first: a job is usually done within microseconds of our own share.
    for (let spins = 0; spins < SPIN; spins++) if (Atomics.load(w, i) === value) return;
    for (let now; (now = Atomics.load(w, i)) !== value;) {
      if (this.#canBlock) Atomics.wait(w, i, now, 100);
    }
  }

  // Gives up on workers: one notice, and from now on everything runs on the caller.
  #giveUp(why: string): void {
    if (this.#failed) return;
    this.#failed = true;
    for (const w of this.#workers) w?.terminate();
    this.#workers.fill(undefined);
    if (!warnedNoWorkers) {
      warnedNoWorkers = true;
      console.warn(`@vamos/transformer: ${why}; running on one thread.`);
    }
  }

  // Starts worker i in the background; it reports READY through its state word.
  #start(i: number): void {
    if (this.#failed) return;
    const c = this.#ctrl(i);
    Atomics.store(c, 0, STATE_STARTING);
    let w: WorkerLike;
    try {
      w = startWorker(WORKER_SOURCE);
    } catch (e) {
      this.#giveUp(`worker threads cannot start here (${(e as Error).message})`);
      return;
    }
    w.onerror = (e) => {
      e.preventDefault?.();
      this.#giveUp(`a worker thread failed to start (${e.message ?? "error"})`);
    };
    const h = this.#host;
    w.postMessage({
      module: h.module,
      memory: h.memory,
      ctrl: h.commandBlock + i * 64,
      queue: this.#queueOffset(),
      jobs: this.#queueOffset() + 64,
      capacity: jobCapacity(this.#workers.length),
      workspace: h.workspaces[i],
      workspaceBytes: h.workspaceBytes,
      names: this.#names,
      idleMs: this.#idleMs,
      bits: this.#bits,
    });
    this.#workers[i] = w;
  }

  /**
   * Starts every worker that is not running and resolves once all are ready, with the
   * number of threads then usable. Workers that have not started after `timeoutMs` are
   * given up (one notice) and the pool runs on the calling thread: never a hang.
   */
  async ready(timeoutMs = WORKER_START_TIMEOUT_MS): Promise<number> {
    const stopped = [STATE_EXITED, STATE_SHUTDOWN, STATE_ERROR];
    for (let i = 0; i < this.#workers.length; i++) {
      if (stopped.includes(Atomics.load(this.#ctrl(i), 0))) this.#start(i);
    }
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#failed) return 1;
      let starting = 0;
      for (let i = 0; i < this.#workers.length; i++) {
        if (Atomics.load(this.#ctrl(i), 0) === STATE_STARTING) starting++;
      }
      if (starting === 0) return this.size + 1;
      if (performance.now() > deadline) {
        this.#giveUp(`${starting} worker thread(s) did not start within ${timeoutMs / 1000} s`);
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * Runs export `op` once per argument list and returns when all are done, with each
   * call's return value in the lists' order. The lists are a queue that the calling
   * thread and every ready worker take from until it is empty, so a thread that is slow
   * or late (a worker asleep, a core the machine gives to someone else for a while) does
   * fewer of them; which thread runs a job never changes what it computes.
   */
  run(op: number, jobs: number[][], callerRun: (args: number[]) => number): number[] {
    const capacity = jobCapacity(this.#workers.length);
    if (jobs.length > capacity) {
      throw new RangeError(`${jobs.length} jobs in one call; at most ${capacity}`);
    }
    const table = this.#jobs();
    for (let j = 0; j < jobs.length; j++) {
      const args = jobs[j];
      if (args.length > MAX_ARGS) throw new RangeError("too many kernel arguments");
      const base = j * JOB_BYTES / 8;
      for (let k = 0; k < args.length; k++) table[base + k] = args[k];
      table[base + 30] = args.length;
    }
    const q = this.#queue();
    const bits = this.#bits, jobMask = (1 << bits) - 1;
    const call = this.#call = (this.#call + 1) & ((1 << (31 - bits)) - 1);
    Atomics.store(q, 1, 0);
    Atomics.store(q, 2, 0);
    Atomics.store(q, 0, call << bits);
    let sent = 0;
    // One worker fewer than jobs: the caller takes at least one.
    for (let i = 0; i < this.#workers.length && sent < jobs.length - 1; i++) {
      const c = this.#ctrl(i);
      const prev = this.#failed
        ? STATE_SHUTDOWN
        : Atomics.compareExchange(c, 0, STATE_READY, STATE_CLAIMED);
      if (prev !== STATE_READY) {
        // An exited worker starts again in the background, for the calls to come.
        if (prev === STATE_EXITED || prev === STATE_ERROR || prev === STATE_SHUTDOWN) {
          this.#start(i);
        }
        continue;
      }
      c[1] = op;
      c[2] = call;
      c[3] = jobs.length;
      Atomics.store(c, 0, STATE_JOB);
      Atomics.notify(c, 0);
      sent++;
    }
    const results = new Array<number>(jobs.length);
    const byCaller = new Uint8Array(jobs.length);
    let mine = 0, callerError: unknown;
    for (;;) {
      const v = Atomics.load(q, 0), j = v & jobMask;
      if (j >= jobs.length) break;
      if (Atomics.compareExchange(q, 0, v, v + 1) !== v) continue;
      try {
        results[j] = callerRun(jobs[j]);
      } catch (e) {
        callerError ??= e;
      }
      byCaller[j] = 1;
      mine++;
      Atomics.add(q, 1, 1);
    }
    // Every job is claimed; wait until the workers' are done (never for a worker that
    // has not woken: it will find this call over and claim nothing).
    const waitStart = performance.now();
    this.#waitFor(q, 1, jobs.length);
    this.#waitedMs[op] += performance.now() - waitStart;
    if (callerError !== undefined) throw callerError;
    if (Atomics.load(q, 2)) throw new Error(`a worker failed in kernel ${this.#names[op]}`);
    this.#dispatched += jobs.length - mine;
    for (let j = 0; j < jobs.length; j++) {
      if (!byCaller[j]) results[j] = table[j * JOB_BYTES / 8 + 31];
    }
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
