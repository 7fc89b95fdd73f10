/**
 * Fetching checkpoints over the network (a browser's way to get weights): a `.wasm`
 * file that wraps a checkpoint in its data segment (as `models/default_weights.wasm`
 * does) is compiled with streaming compilation, which a browser's main thread allows
 * at any size; anything else is read as safetensors bytes.
 * @module
 */
import { VamosError } from "../errors.ts";
import { readFileUrl } from "./host.ts";

/**
 * The checkpoint bytes behind `url`: a checkpoint-wrapping .wasm module, or a
 * .safetensors file; give them to `loadModel`.
 *
 * @example
 * ```ts ignore
 * import { fetchCheckpointBytes, loadModel } from "@vamos/transformer";
 * const model = await loadModel(await fetchCheckpointBytes("/models/my_model.safetensors"));
 * ```
 */
export async function fetchCheckpointBytes(url: string | URL): Promise<Uint8Array> {
  let response: Response;
  try {
    // Node's and Bun's fetch cannot read files: node:fs reads them.
    const file = await readFileUrl(new URL(String(url), "file:///"));
    if (file) {
      response = new Response(file as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": "application/wasm" },
      });
    } else response = await fetch(url);
  } catch (e) {
    throw new VamosError(`Cannot fetch ${url}: ${(e as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new VamosError(`Cannot fetch ${url}: HTTP ${response.status}`);
  }
  if (!new URL(String(url), "file:///").pathname.endsWith(".wasm")) {
    return new Uint8Array(await response.arrayBuffer());
  }
  let instance: WebAssembly.Instance;
  try {
    const type = response.headers.get("content-type") ?? "";
    // Streaming compilation needs the wasm MIME type; a server that sends another one
    // still works, compiled (asynchronously) from the whole buffer.
    instance = type.startsWith("application/wasm")
      ? (await WebAssembly.instantiateStreaming(response)).instance
      : (await WebAssembly.instantiate(await response.arrayBuffer())).instance;
  } catch (e) {
    throw new VamosError(`${url} is not a checkpoint module: ${(e as Error).message}`);
  }
  const { memory, length } = instance.exports as {
    memory?: WebAssembly.Memory;
    length?: WebAssembly.Global;
  };
  if (!(memory instanceof WebAssembly.Memory) || !(length instanceof WebAssembly.Global)) {
    throw new VamosError(`${url} is not a checkpoint module (no memory and length exports)`);
  }
  const n = Number(length.value);
  if (!(n >= 0 && n <= memory.buffer.byteLength)) {
    throw new VamosError(`${url} is not a checkpoint module (length ${n} is out of range)`);
  }
  return new Uint8Array(memory.buffer, 0, n);
}
