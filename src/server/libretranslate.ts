/**
 * The HTTP API of LibreTranslate, as its clients use it, over a dynamic batcher:
 * `POST /translate`, `POST /detect`, `GET /languages`, `GET /frontend/settings`,
 * `GET /health`, and a translate page at `/` (the routes are in `routes.ts`). Every
 * request is checked before any work: body size (before it is read in full), JSON or
 * form fields and their types, the language pair, the character limit and the API key;
 * each problem is a JSON `{"error": ...}` with its status code.
 * @module
 */
import { CORS, HttpError, json } from "./http.ts";
import { type HandlerOptions, type Route, ROUTES, type Server } from "./routes.ts";

export type { HandlerOptions } from "./routes.ts";

/** A request handler for Deno.serve implementing the API. */
export function createHandler(opts: HandlerOptions): (req: Request) => Promise<Response> {
  const server: Server = {
    opts,
    limits: {
      maxBodyBytes: opts.maxBodyBytes ?? 1 << 20,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? 10_000,
    },
    charLimit: opts.charLimit ?? 5000,
  };
  return async (req: Request): Promise<Response> => {
    const t0 = performance.now();
    const path = new URL(req.url).pathname;
    let response: Response;
    let sentences = 0;
    try {
      if (req.method === "OPTIONS") response = new Response(null, { status: 204, headers: CORS });
      else [response, sentences] = await routeOf(path, req.method)(server, req);
    } catch (e) {
      response = e instanceof HttpError
        ? json(e.status, { error: e.message })
        : json(500, { error: `Internal error: ${(e as Error)?.message ?? e}` });
    }
    opts.log?.(
      `${req.method} ${path} ${response.status} ${sentences} ${
        (performance.now() - t0).toFixed(1)
      }ms`,
    );
    return response;
  };
}

// The route of a path, or why there is none: a POST route asked with another method, any
// other path asked with anything but GET or HEAD, an unknown path.
function routeOf(path: string, method: string): Route {
  const known = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (known?.method === "POST") {
    if (method !== "POST") throw new HttpError(405, `Use POST for ${path}`);
    return known.route;
  }
  if (method !== "GET" && method !== "HEAD") throw new HttpError(405, `Use GET for ${path}`);
  if (!known) throw new HttpError(404, `Not found: ${path}`);
  return known.route;
}
