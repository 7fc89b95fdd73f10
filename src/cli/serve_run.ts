/**
 * serve.ts's steps: the language pairs it serves (both shipped models, each loaded on
 * first use, or the one --model names, opened now), and the server with its graceful
 * stop (the requests in flight finish; a request that arrives meanwhile gets 503).
 * @module
 */
import { openModelAndDirectionForCli } from "./models.ts";
import { LanguagePairs } from "../server/pairs.ts";
import type { Transformer } from "../model/model.ts";
import type { Direction } from "../text/languages.ts";
import { loadDefaultModel } from "../../models/default.ts";
import { loadEsEnModel } from "../../models/es_en.ts";
import { VamosError } from "../errors.ts";
import { plural } from "./progress.ts";
import type { ServeFlags } from "./serve_flags.ts";

/** The pairs served, and how to describe them when listening. */
export async function servedPairs(
  f: ServeFlags,
): Promise<{ pairs: LanguagePairs; described: string }> {
  const ready = (model: Transformer) => {
    if (f.beam !== undefined) model.beam = f.beam;
    model.useShortlist = f.shortlist;
    return model;
  };
  const decoding = (b: number) => b > 1 ? `beam ${b}` : "greedy";
  const threads = plural(f.threads ?? navigator.hardwareConcurrency, "thread");
  let open: Partial<Record<Direction, () => Promise<Transformer>>>;
  let described: string, mode = f.beam === undefined ? "each model's own beam" : decoding(f.beam);
  if (f.model === undefined) {
    // Both shipped models, each loaded by the first request that needs it.
    open = {
      "en-es": async () => ready(await loadDefaultModel({ threads: f.threads })),
      "es-en": async () => ready(await loadEsEnModel({ threads: f.threads })),
    };
    described = "en→es and es→en, each loaded on first use";
  } else {
    // One model, opened now: a bad file fails here, not at the first request.
    const { model, direction } = await openModelAndDirectionForCli(f.model, f.threads);
    ready(model);
    open = { [direction]: () => Promise.resolve(model) };
    described = `model ${f.model}, ${direction.replace("-", "→")}`;
    mode = decoding(model.beam);
  }
  const pairs = new LanguagePairs(open, { maxQueue: f.maxQueue });
  return { pairs, described: `${described}; ${mode}; ${threads}` };
}

/**
 * Serves `handler` until SIGINT or SIGTERM, then lets the requests in flight finish.
 * Deno.serve drops the response of a request still being handled when its signal aborts,
 * so a stop waits for those first; requests that arrive meanwhile are told to go away.
 */
export async function serveUntilStopped(
  f: ServeFlags,
  handler: (req: Request) => Promise<Response>,
  described: string,
  pairs: LanguagePairs,
): Promise<void> {
  const ac = new AbortController();
  let inFlight = 0, stopping = false, drained = () => {};
  const serving = async (request: Request) => {
    if (stopping) {
      return Response.json({ error: "The server is stopping; try again later" }, {
        status: 503,
        headers: { "connection": "close", "access-control-allow-origin": "*" },
      });
    }
    inFlight++;
    try {
      return await handler(request);
    } finally {
      // Counted out only once Deno.serve has taken the response: a timer runs after the
      // microtasks in which it does, so the stop cannot come between.
      setTimeout(() => {
        if (--inFlight === 0 && stopping) drained();
      }, 0);
    }
  };
  const server = await listen(f, ac.signal, serving, described, pairs);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.error("Stopping: finishing the requests in flight.");
    // Then stop accepting; server.finished resolves once the answers are written.
    if (inFlight === 0) ac.abort();
    else drained = () => ac.abort();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // no such signal here
    }
  }
  await server.finished;
}

async function listen(
  f: ServeFlags,
  signal: AbortSignal,
  serving: (request: Request) => Promise<Response>,
  described: string,
  pairs: LanguagePairs,
): Promise<Deno.HttpServer> {
  try {
    return Deno.serve({
      port: f.port,
      hostname: f.host,
      signal,
      onListen: ({ hostname, port }) =>
        console.error(`Listening on http://${hostname}:${port}/ (${described}); Ctrl-C stops.`),
    }, serving);
  } catch (e) {
    await pairs.close();
    if (e instanceof Deno.errors.AddrInUse) {
      throw new VamosError(`Port ${f.port} is in use; choose another with --port`);
    }
    throw new VamosError(`Cannot listen on ${f.host}:${f.port}: ${(e as Error).message}`);
  }
}
