/**
 * Loading the shipped models, written once for both entry points: the package as a whole
 * (`mod.ts`, for browsers and bundles) fetches a model's weights when asked for, with
 * streaming compilation, so importing the package does not pull 4 MB of weights into a
 * bundle; `@vamos/transformer/default-model` (and `/es-en-model`) read the same weights
 * from the wasm module they import in Deno, with no permission flag.
 * @module
 */
import { loadModel, type LoadOptions } from "../src/checkpoint/checkpoint.ts";
import type { Transformer } from "../src/model/model.ts";
import { fetchCheckpointBytes } from "../src/host/fetch_model.ts";
import { VamosError } from "../src/errors.ts";
import { isDeno } from "../src/host/host.ts";
import type { Direction } from "../src/text/languages.ts";

/**
 * Where the weights may be, relative to this module: "../models/" is beside it as
 * published and, in a bundle, a models/ folder beside the bundle's folder (the
 * playground's); then a models/ folder beside the bundle, or the bundle's own folder.
 */
const CANDIDATES = ["../models/", "./models/", "./"];

/** Each shipped model's weights file. */
export const SHIPPED_WEIGHTS: Record<Direction, string> = {
  "en-es": "default_weights.wasm",
  "es-en": "es_en_weights.wasm",
};

/** Options of {@linkcode loadDefaultModel}. */
export interface DefaultModelOptions extends LoadOptions {
  /**
   * Where the weights file is served (default: found beside the package or bundle):
   * `default_weights.wasm` for English→Spanish, `es_en_weights.wasm` for Spanish→English.
   */
  url?: string | URL;
  /** The language of the input, as LibreTranslate names it: "en" (default) or "es". */
  from?: string;
  /** The language to translate to: "es" (default) or "en". */
  to?: string;
}

/**
 * The shipped model's direction that `from`/`to` ask for (either may be left out: the
 * other language is the other one), or a VamosError naming the pairs there are.
 */
export function shippedDirection(opts: { from?: string; to?: string } = {}): Direction {
  const from = opts.from ?? (opts.to === "en" ? "es" : "en");
  const to = opts.to ?? (from === "es" ? "en" : "es");
  const direction = `${from}-${to}`;
  if (direction === "en-es" || direction === "es-en") return direction;
  throw new VamosError(
    `No shipped model translates ${from} to ${to}: use { from: "en", to: "es" } or { from: "es", to: "en" }`,
  );
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
export async function fetchDefaultModelBytes(
  url?: string | URL,
  file = SHIPPED_WEIGHTS["en-es"],
): Promise<Uint8Array> {
  const urls = url !== undefined
    ? [
      new URL(
        String(url),
        (globalThis as { location?: Location }).location?.href ?? import.meta.url,
      ),
    ]
    : CANDIDATES.map((c) => new URL(c + file, import.meta.url));
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
    url !== undefined
      ? `The model's weights could not be fetched from ${urls[0].href} (${tried.join("; ")}); ` +
        `serve models/${file} there or pass its address as { url }`
      : `The shipped model's weights were not found (${tried.join("; ")}); ` +
        `serve models/${file} and pass its address as { url }`,
  );
}

/** Where a shipped model's bytes come from without a `url`, per direction. */
export type EmbeddedWeights = Partial<Record<Direction, () => Promise<Uint8Array>>>;

/**
 * Loads the shipped model `from`/`to` ask for: from `opts.url` when given, else from
 * `embedded` (the entry points in models/ pass their wasm modules), else fetched from
 * beside the package or bundle. Every `loadDefaultModel` is this function.
 */
export async function loadShippedModel(
  opts: DefaultModelOptions = {},
  embedded: EmbeddedWeights = {},
): Promise<Transformer> {
  const direction = shippedDirection(opts);
  const own = embedded[direction];
  const bytes = opts.url === undefined && own
    ? await own()
    : await fetchDefaultModelBytes(opts.url, SHIPPED_WEIGHTS[direction]);
  return await loadModel(bytes, opts);
}

/**
 * Loads a shipped model: English→Spanish, or with `{ from: "es" }` Spanish→English
 * (`es_en_weights.wasm`, fetched only then). Imported from `@vamos/transformer` it fetches
 * the weights (`default_weights.wasm`, streaming compilation) from `url` or from beside
 * the package or bundle, so that importing the package does not pull 4 MB into a bundle;
 * imported from `@vamos/transformer/default-model`, the same function reads the weights
 * from an embedded wasm module in Deno instead, with no permission flag.
 *
 * @example
 * ```ts ignore
 * import { loadDefaultModel } from "@vamos/transformer";
 * const model = await loadDefaultModel(); // in a browser page
 * console.log(model.translate("I am hungry.")); // "Tengo hambre."
 * const back = await loadDefaultModel({ from: "es", to: "en" });
 * console.log(back.translate("Tengo hambre.")); // "I'm hungry."
 * ```
 */
export async function loadDefaultModel(opts: DefaultModelOptions = {}): Promise<Transformer> {
  return await loadShippedModel(opts);
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
  if (!isDeno()) return await fetchDefaultModelBytes(url, url.pathname.split("/").pop()!);
  const weights = await importWeights();
  return new Uint8Array(weights.memory.buffer, 0, weights.length);
}
