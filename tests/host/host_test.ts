// What the host offers: its cores, whether it is Deno, shared memory for threads, and a
// worker started from source.
import { equal } from "node:assert/strict";
import { canShareMemory, hardwareThreads, isDeno, startWorker } from "../../src/host/host.ts";

Deno.test("Deno: cores, shared memory", () => {
  equal(isDeno(), true);
  equal(hardwareThreads(), navigator.hardwareConcurrency);
  equal(canShareMemory(), true);
});

Deno.test("a worker runs its source (it answers through shared memory, as the pool's do)", async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = startWorker(
    `self.onmessage = (e) => { Atomics.store(e.data, 0, 42); Atomics.notify(e.data, 0); };`,
  );
  try {
    w.postMessage(flag);
    const r = Atomics.waitAsync(flag, 0, 0, 10_000);
    if (r.async) await r.value;
    equal(Atomics.load(flag, 0), 42);
  } finally {
    w.terminate();
  }
});
