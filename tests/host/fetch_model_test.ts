// Checkpoint bytes by URL: a .safetensors file as it is, a checkpoint wasm module by
// streaming compilation (its memory's first `length` bytes), and clear errors otherwise.
import { deepEqual, equal, rejects } from "node:assert/strict";
import { fetchCheckpointBytes } from "../../src/host/fetch_model.ts";
import { dataModule } from "../../tools/embed_model.ts";

Deno.test("a file's bytes, and a checkpoint module's embedded bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    await Deno.writeFile(`${dir}/m.safetensors`, bytes);
    deepEqual(await fetchCheckpointBytes(new URL(`file://${dir}/m.safetensors`)), bytes);
    await Deno.writeFile(`${dir}/m.wasm`, dataModule(bytes));
    deepEqual([...await fetchCheckpointBytes(new URL(`file://${dir}/m.wasm`))], [1, 2, 3, 4, 5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing file or a module that is no checkpoint is one clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(fetchCheckpointBytes(new URL(`file://${dir}/none.safetensors`)), /Cannot fetch/);
    await Deno.writeFile(`${dir}/bad.wasm`, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    await rejects(
      fetchCheckpointBytes(new URL(`file://${dir}/bad.wasm`)),
      /is not a checkpoint module \(no memory and length exports\)/,
    );
    await Deno.writeFile(`${dir}/junk.wasm`, new Uint8Array([1, 2, 3]));
    await rejects(
      fetchCheckpointBytes(new URL(`file://${dir}/junk.wasm`)),
      /not a checkpoint module/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  equal(typeof fetchCheckpointBytes, "function");
});
