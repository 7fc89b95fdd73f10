/**
 * The shipped model for code that imports the package as a whole (`mod.ts`), in a
 * browser or a bundle: its weights are fetched when asked for, with streaming
 * compilation, so importing the package does not pull the 4 MB of weights into a
 * bundle. In Deno, `@vamos/transformer/default-model` loads the same model with no
 * permission flag.
 * @module
 */
import { loadModel, type LoadOptions } from "../checkpoint/checkpoint.ts";
import type { Transformer } from "../model/model.ts";
import { fetchCheckpointBytes } from "./fetch_model.ts";
import { VamosError } from "../errors.ts";

/** Where the weights may be, relative to this module: as published, or beside a bundle. */
const CANDIDATES = [
  "../../models/default_weights.wasm",
  "../models/default_weights.wasm",
  "./models/default_weights.wasm",
  "./default_weights.wasm",
];

/** Options of {@linkcode loadDefaultModel}. */
export interface DefaultModelOptions extends LoadOptions {
  /** Where `default_weights.wasm` is served (default: found beside the package or bundle). */
  url?: string | URL;
}

/** A permission Deno would ask for to fetch `url`, or undefined when it has it. */
async function missingPermission(url: URL): Promise<string | undefined> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno) return undefined;
  const desc: Deno.PermissionDescriptor = url.protocol === "file:"
    ? { name: "read", path: url }
    : { name: "net", host: url.host };
  const { state } = await deno.permissions.query(desc);
  return state === "granted"
    ? undefined
    : url.protocol === "file:"
    ? "--allow-read"
    : "--allow-net";
}

/**
 * The shipped model's checkpoint bytes, fetched (streaming compilation) from `url`, or
 * from beside the package or the bundle it is in. Both entry points load through it
 * where they fetch.
 */
export async function fetchDefaultModelBytes(url?: string | URL): Promise<Uint8Array> {
  const urls = url !== undefined
    ? [
      new URL(
        String(url),
        (globalThis as { location?: Location }).location?.href ?? import.meta.url,
      ),
    ]
    : CANDIDATES.map((c) => new URL(c, import.meta.url));
  const tried: string[] = [];
  for (const url of urls) {
    const flag = await missingPermission(url);
    if (flag) {
      throw new VamosError(
        `Fetching the shipped model (${url.href}) needs ${flag} in Deno; ` +
          'import { loadDefaultModel } from "@vamos/transformer/default-model" needs none',
      );
    }
    try {
      return await fetchCheckpointBytes(url);
    } catch (e) {
      tried.push((e as Error).message);
    }
  }
  throw new VamosError(
    `The shipped model's weights were not found (${tried.join("; ")}); ` +
      "serve models/default_weights.wasm and pass its address as { url }",
  );
}

/**
 * Loads the shipped English→Spanish model. This is the package's one `loadDefaultModel`:
 * imported from `@vamos/transformer` it fetches the weights (`default_weights.wasm`,
 * streaming compilation) from `url` or from beside the package or bundle, so that
 * importing the package does not pull 4 MB into a bundle; imported from
 * `@vamos/transformer/default-model`, Deno reads the same weights as an embedded wasm
 * module instead, with no permission flag.
 *
 * @example
 * ```ts ignore
 * import { loadDefaultModel } from "@vamos/transformer";
 * const model = await loadDefaultModel(); // in a browser page
 * console.log(model.translate("I am hungry.")); // "Tengo hambre."
 * ```
 */
export async function loadDefaultModel(opts: DefaultModelOptions = {}): Promise<Transformer> {
  return await loadModel(await fetchDefaultModelBytes(opts.url), opts);
}
