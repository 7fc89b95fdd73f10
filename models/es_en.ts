/**
 * The shipped Spanish→English translator (see the model card), as its own entry point:
 * `@vamos/transformer/es-en-model`. A page that only translates English→Spanish never
 * imports it, so it never downloads these weights. As with the default model, its
 * checkpoint is the data segment of `es_en_weights.wasm`: in Deno the module is imported
 * (no permission flag); in a browser it is fetched beside this file, with streaming
 * compilation, when asked for.
 * @module
 */
import type { Transformer } from "../src/model/model.ts";
import { type DefaultModelOptions, embeddedModelBytes, loadShippedModel } from "./loader.ts";

/**
 * The checkpoint bytes of the shipped Spanish→English model (a view into the embedded
 * module).
 *
 * @example
 * ```ts
 * import { esEnModelBytes } from "@vamos/transformer/es-en-model";
 * import { ok } from "node:assert/strict";
 * ok((await esEnModelBytes()).length > 1_000_000);
 * ```
 */
export async function esEnModelBytes(): Promise<Uint8Array> {
  const url = new URL("./es_en_weights.wasm", import.meta.url);
  return await embeddedModelBytes(url, () => import("./es_en_weights.wasm"));
}

/**
 * Loads the shipped Spanish→English model; resolves once its worker threads run. With
 * `url`, the weights are fetched from there instead.
 *
 * @example
 * ```ts
 * import { loadEsEnModel } from "@vamos/transformer/es-en-model";
 * const model = await loadEsEnModel();
 * console.log(model.translate("Tengo hambre.")); // "I'm hungry."
 * model.close();
 * ```
 */
export async function loadEsEnModel(opts: DefaultModelOptions = {}): Promise<Transformer> {
  return await loadShippedModel({ ...opts, from: "es", to: "en" }, { "es-en": esEnModelBytes });
}
