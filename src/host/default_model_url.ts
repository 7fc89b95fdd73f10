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
import { isDeno } from "./host.ts";

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

/** What a weights module (made by `tools/embed_model.ts`) exports: its checkpoint's bytes. */
export interface WeightsModule {
  memory: WebAssembly.Memory;
  length: number;
}

/**
 * The checkpoint bytes of a shipped model embedded in a wasm module: in Deno, the module
 * `importWeights` imports (no permission flag: it must import it itself, by a literal
 * path); elsewhere fetched from `url` with streaming compilation. Both entry points in
 * models/ read their weights through it.
 */
export async function embeddedModelBytes(
  url: URL,
  importWeights: () => Promise<WeightsModule>,
): Promise<Uint8Array> {
  if (!isDeno()) return await fetchDefaultModelBytes(url);
  const weights = await importWeights();
  return new Uint8Array(weights.memory.buffer, 0, weights.length);
}

/** Loads a shipped model: fetched from `opts.url` when given, else its embedded bytes. */
export async function loadEmbeddedModel(
  embedded: () => Promise<Uint8Array>,
  opts: DefaultModelOptions,
): Promise<Transformer> {
  const bytes = opts.url === undefined ? await embedded() : await fetchDefaultModelBytes(opts.url);
  return await loadModel(bytes, opts);
}
