/**
 * The shipped English→Spanish translator (see the model card in the README). Its
 * safetensors checkpoint is the data segment of `default_weights.wasm`, made by
 * `tools/embed_model.ts`: importing it needs no permission and takes a fraction of the
 * time base64 would.
 * @module
 */
import { loadModel, type LoadOptions } from "../src/checkpoint/checkpoint.ts";
import type { Transformer } from "../src/model/model.ts";

/** The checkpoint bytes of the shipped model (a view into the embedded module). */
export async function defaultModelBytes(): Promise<Uint8Array> {
  const weights = await import("./default_weights.wasm");
  return new Uint8Array(weights.memory.buffer, 0, weights.length);
}

/**
 * Loads the shipped English→Spanish model.
 *
 * @example
 * ```ts
 * import { loadDefaultModel } from "@vamos/transformer";
 * const model = await loadDefaultModel();
 * console.log(model.translate("I am hungry.")); // "Tengo hambre."
 * model.close();
 * ```
 */
export async function loadDefaultModel(opts: LoadOptions = {}): Promise<Transformer> {
  return await loadModel(await defaultModelBytes(), opts);
}
