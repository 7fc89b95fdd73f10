/**
 * The one seam between the package and its host (Deno, a browser, Node.js, Bun): which
 * host this is, how many cores it has, whether memory can be shared with workers, how a
 * worker starts, and how a `file:` URL is read. Everything below (the runtime, the model)
 * asks here instead of looking at `Deno`, `Worker` or `process` itself.
 *
 * Node.js differs most: `fetch` cannot read files, threads are `worker_threads` rather than
 * Web Workers, Node 20 has no `navigator`. Its built-in modules are reached through
 * `process.getBuiltinModule` (Node ≥ 20.16, Bun), so that nothing here is an import a
 * browser bundle would have to resolve; older Node versions read files but run on one
 * thread.
 * @module
 */

interface NodeProcess {
  versions?: { node?: string; bun?: string };
  getBuiltinModule?: (name: string) => unknown;
}

function nodeProcess(): NodeProcess | undefined {
  if (isDeno()) return undefined;
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? p : undefined;
}

/** A Node.js built-in module, or undefined outside Node and Bun (or before Node 20.16). */
function nodeBuiltin<T>(name: string): T | undefined {
  return nodeProcess()?.getBuiltinModule?.(name) as T | undefined;
}

/** The bytes of a `file:` URL, read with node:fs where fetch cannot read files. */
export async function readFileUrl(url: URL): Promise<Uint8Array | undefined> {
  if (url.protocol !== "file:" || !nodeProcess()) return undefined;
  type Fs = { promises: { readFile(u: URL): Promise<Uint8Array> } };
  // Before Node 20.16 there is no getBuiltinModule: import it (a specifier bundlers leave).
  const specifier = ["node", "fs"].join(":");
  const fs = nodeBuiltin<Fs>("node:fs") ?? (await import(specifier)) as Fs;
  const b = await fs.promises.readFile(url);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Cores this host reports (navigator, or node:os in Node 20), at least 1. */
export function hardwareThreads(): number {
  const n = globalThis.navigator?.hardwareConcurrency ??
    nodeBuiltin<{ availableParallelism(): number }>("node:os")?.availableParallelism();
  return Math.max(1, n ?? 1);
}

/** True in Deno. */
export function isDeno(): boolean {
  return "Deno" in globalThis;
}

/**
 * True where a shared WebAssembly.Memory can be created and handed to workers: shared
 * array buffers, a kind of worker, and (in a browser) a cross-origin isolated page.
 */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  if (typeof Worker === "undefined" && !nodeBuiltin("node:worker_threads")) return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  return g.crossOriginIsolated !== false;
}

let workerUrl: string | undefined;

/**
 * A worker running `source` (plain JavaScript written for a Web Worker): a module Web
 * Worker from a blob: URL in a browser (it keeps the page's origin and isolation) or a
 * data: URL in Deno (no permission needed), or a worker_threads Worker in Node.js.
 */
export function startWorker(source: string): WorkerLike {
  if (typeof Worker === "undefined") {
    const node = startNodeWorker(source);
    if (node) return node;
    throw new Error("this host has no workers");
  }
  workerUrl ??= !isDeno() && typeof URL.createObjectURL === "function"
    ? URL.createObjectURL(new Blob([source], { type: "text/javascript" }))
    : `data:application/javascript,${encodeURIComponent(source)}`;
  return new Worker(workerUrl, { type: "module" }) as unknown as WorkerLike;
}

/** The part of a Web Worker the pool uses. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  onerror: ((e: { message?: string; preventDefault?: () => void }) => void) | null;
}

interface NodeWorker {
  postMessage(m: unknown): void;
  terminate(): Promise<number>;
  unref(): void;
  on(event: "error", f: (e: Error) => void): void;
}

/**
 * A worker running `source`, plain JavaScript written for a Web Worker (`self.onmessage`,
 * `self.close()`): in Node, a worker_threads Worker with a `self` that maps onto its
 * parent port; undefined where neither kind exists.
 */
function startNodeWorker(source: string): WorkerLike | undefined {
  const wt = nodeBuiltin<{ Worker: new (code: string, o: { eval: true }) => NodeWorker }>(
    "node:worker_threads",
  );
  if (!wt) return undefined;
  const shim = `const { parentPort } = require("node:worker_threads");
const self = {
  set onmessage(f) { parentPort.on("message", (data) => f({ data })); },
  close() { process.exit(0); },
};
`;
  const w = new wt.Worker(shim + source, { eval: true });
  // An idle worker must not keep a finished program alive.
  w.unref();
  const like: WorkerLike = {
    postMessage: (m) => w.postMessage(m),
    terminate: () => void w.terminate(),
    onerror: null,
  };
  w.on("error", (e) => like.onerror?.({ message: e.message }));
  return like;
}
