/**
 * The shipped English→Spanish translator (see the model card in the README), as its
 * own entry point: `@vamos/transformer/default-model`. Its safetensors checkpoint is the
 * data segment of `default_weights.wasm` (made by `tools/embed_model.ts`). In Deno the
 * module is imported: no permission flag, and a fraction of the time base64 would take.
 * In a browser it is fetched beside this file with streaming compilation (a browser
 * neither imports .wasm modules nor compiles megabytes synchronously on its main thread).
 * @module
 */
import type { Transformer } from "../src/model/model.ts";
import { type DefaultModelOptions, embeddedModelBytes, loadShippedModel } from "./loader.ts";

export type { DefaultModelOptions };

/**
 * The checkpoint bytes of the shipped model (a view into the embedded module).
 *
 * @example
 * ```ts
 * import { defaultModelBytes } from "@vamos/transformer/default-model";
 * import { ok } from "node:assert/strict";
 * ok((await defaultModelBytes()).length > 1_000_000);
 * ```
 */
export async function defaultModelBytes(): Promise<Uint8Array> {
  const url = new URL("./default_weights.wasm", import.meta.url);
  return await embeddedModelBytes(url, () => import("./default_weights.wasm"));
}

/**
 * Loads the shipped English→Spanish model, or with `{ from: "es" }` the Spanish→English
 * one (its module is imported only then); resolves once its worker threads run. The same
 * function as the package's `loadDefaultModel`, except that in Deno (and with no `url`)
 * the weights come from the embedded module: no permission flag.
 *
 * @example
 * ```ts
 * import { loadDefaultModel } from "@vamos/transformer/default-model";
 * const model = await loadDefaultModel();
 * console.log(model.translate("I am hungry.")); // "Tengo hambre."
 * model.close();
 * const back = await loadDefaultModel({ from: "es", to: "en" });
 * console.log(back.translate("Tengo hambre.")); // "I'm hungry."
 * back.close();
 * ```
 */
export async function loadDefaultModel(opts: DefaultModelOptions = {}): Promise<Transformer> {
  return await loadShippedModel(opts, {
    "en-es": defaultModelBytes,
    "es-en": async () => await (await import("./es_en.ts")).esEnModelBytes(),
  });
}
