/**
 * The playground's server: bundles the package (`deno bundle mod.ts`, once at start)
 * and serves it with the pages in `web/` and the shipped weights. Pages are
 * cross-origin isolated (COOP same-origin, COEP require-corp), so threads work; the
 * same pages under `/plain/` are not, as on an ordinary static host (one thread).
 *
 *   deno task web [--port 8000] [--host 127.0.0.1]
 * @module
 */
import { parseArgs } from "node:util";
import { SHIPPED_WEIGHTS } from "../models/loader.ts";

const root = new URL("../", import.meta.url);
const WEIGHTS = new Set(Object.values(SHIPPED_WEIGHTS).map((file) => `models/${file}`));
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  wasm: "application/wasm",
  svg: "image/svg+xml",
  json: "application/json",
  tsv: "text/tab-separated-values; charset=utf-8",
};
const ISOLATION = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};

/** Bundles mod.ts for browsers; returns the JavaScript. */
export async function bundlePackage(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "vamos-web-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--platform",
        "browser",
        "--format",
        "esm",
        "-o",
        `${dir}/vamos.js`,
        new URL("mod.ts", root).pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`deno bundle failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return await Deno.readFile(`${dir}/vamos.js`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Options of {@linkcode servePlayground}. */
export interface ServeOptions {
  port?: number;
  hostname?: string;
  /** Called with the address once listening. */
  onListen?: (url: string) => void;
  /** Log each request to stderr. */
  log?: boolean;
}

/** Serves the playground until `signal` aborts. */
export async function servePlayground(
  opts: ServeOptions = {},
  signal?: AbortSignal,
): Promise<Deno.HttpServer> {
  const bundle = await bundlePackage();
  const files = new Map<string, Uint8Array>([["vamos.js", bundle]]);
  const load = async (path: string): Promise<Uint8Array | undefined> => {
    if (files.has(path)) return files.get(path);
    // The shipped models' weights, each fetched only by a page that translates its way.
    const url = WEIGHTS.has(path) ? new URL(path, root) : new URL(`web/${path}`, root);
    // Only files of web/ (and the weights): no way out of it.
    if (!url.pathname.startsWith(new URL("web/", root).pathname) && !path.startsWith("models/")) {
      return undefined;
    }
    try {
      return await Deno.readFile(url);
    } catch {
      return undefined;
    }
  };
  return Deno.serve({
    port: opts.port ?? 8000,
    hostname: opts.hostname ?? "127.0.0.1",
    signal,
    onListen: ({ hostname, port }) => opts.onListen?.(`http://${hostname}:${port}/`),
  }, async (req) => {
    const url = new URL(req.url);
    let path = decodeURIComponent(url.pathname).replace(/^\/+/, "");
    const plain = path === "plain" || path.startsWith("plain/");
    if (plain) path = path.replace(/^plain\/?/, "");
    if (path === "" || path.endsWith("/")) path += "index.html";
    const body = path.includes("..") ? undefined : await load(path);
    const ext = path.split(".").pop() ?? "";
    const headers = new Headers(plain ? {} : ISOLATION);
    let status = 200;
    if (!body) status = 404;
    else headers.set("content-type", TYPES[ext] ?? "application/octet-stream");
    headers.set("cache-control", "no-cache");
    if (opts.log) console.error(`${req.method} ${url.pathname} ${status}`);
    return new Response(body ? new Uint8Array(body) : "not found\n", { status, headers });
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      quiet: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`web: --port must be an integer from 0 to 65535, got "${values.port}"`);
    Deno.exit(2);
  }
  await servePlayground({
    port,
    hostname: values.host,
    log: !values.quiet,
    onListen: (url) =>
      console.error(`Playground at ${url} (threads), ${url}plain/ (one thread). Ctrl-C stops.`),
  });
}
