/**
 * A translation server that LibreTranslate clients can use: the shipped model behind
 * LibreTranslate's HTTP API, with dynamic batching (requests arriving together are
 * translated together), bounded memory and a graceful stop.
 *
 *   deno run --allow-net serve.ts                       http://127.0.0.1:5000
 *   curl -s localhost:5000/translate -H 'content-type: application/json' \
 *     -d '{"q": "Where is the bathroom?", "source": "en", "target": "es"}'
 *
 * SIGINT/SIGTERM finish the requests in flight (a request that arrives meanwhile gets 503),
 * then stop accepting connections and exit.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import {
  numberFlag,
  parseFlags,
  positiveIntegerFlag,
  readFileForCli,
  runCli,
  threadsFlag,
  UsageError,
} from "./src/cli/run.ts";
import { openModelAndDirectionForCli } from "./src/cli/models.ts";
import { LanguagePairs } from "./src/server/pairs.ts";
import { createHandler } from "./src/server/libretranslate.ts";
import type { Transformer } from "./src/model/model.ts";
import type { Direction } from "./src/text/languages.ts";
import { loadDefaultModel } from "./models/default.ts";
import { loadEsEnModel } from "./models/es_en.ts";
import { MAX_BEAM } from "./src/model/beam.ts";
import { VamosError } from "./src/errors.ts";
import { plural } from "./src/cli/progress.ts";

const HELP = `Usage: deno run --allow-net serve.ts [options]

Serves English→Spanish and Spanish→English translation with LibreTranslate's API (each
model loaded on its first request):
  POST /translate   {"q": "text" | ["text", ...], "source": "en" | "es" | "auto", "target": "es" | "en",
                     "format": "text", "alternatives": N, "api_key": "..."} (JSON or form)
  POST /detect      {"q": "text"}          GET /languages        GET /health
  GET /             a translate page

Options:
  --port N          port (default 5000; 0 picks a free one)
  --host NAME       address to listen on (default 127.0.0.1)
  --model NAME|FILE serve one model instead of both shipped ones: "default" (en→es), "es-en",
                    "statquest" or a .safetensors checkpoint (needs --allow-read; it
                    translates the direction it was trained in)
  --char-limit N    most characters of text per request (default 5000)
  --max-queue N     most texts waiting to be translated; more get 429 (default 1000)
  --api-keys FILE   accept only these keys (one a line; needs --allow-read)
  --body-timeout S  seconds a client may take to send its request body (default 10)
  --beam N          beam width; 1 is greedy decoding, faster (default: the model's, 4 for
                    the shipped model)
  --no-shortlist    score every token at each step, not only the model's vocabulary
                    shortlist (slower; the shipped models have one)
  --threads N       threads for the kernels (default: every core)
  --quiet           no access log
  -h, --help        this help`;

async function main(args: string[]): Promise<number> {
  const v = parseFlags(args, {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    model: { type: "string" },
    "char-limit": { type: "string" },
    "max-queue": { type: "string" },
    "api-keys": { type: "string" },
    "body-timeout": { type: "string" },
    beam: { type: "string" },
    "no-shortlist": { type: "boolean", default: false },
    threads: { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }).values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const port = numberFlag(v, "port", { min: 0, max: 65535, integer: true }) ?? 5000;
  const charLimit = positiveIntegerFlag(v, "char-limit") ?? 5000;
  const maxQueue = positiveIntegerFlag(v, "max-queue") ?? 1000;
  const bodyTimeout = numberFlag(v, "body-timeout", { min: 0.1, max: 3600 }) ?? 10;
  const beam = numberFlag(v, "beam", { min: 1, max: MAX_BEAM, integer: true });
  const threads = threadsFlag(v, "serve");
  const permission = await Deno.permissions.query({ name: "net", host: `${v.host}:${port}` });
  if (permission.state !== "granted") {
    throw new UsageError(
      `Listening on ${v.host}:${port} needs permission: run deno run --allow-net serve.ts`,
    );
  }
  let apiKeys: Set<string> | undefined;
  if (v["api-keys"]) {
    const text = new TextDecoder().decode(await readFileForCli(v["api-keys"], "API key file"));
    apiKeys = new Set(text.split(/\r?\n/).map((k) => k.trim()).filter(Boolean));
    if (!apiKeys.size) throw new VamosError(`${v["api-keys"]} holds no API key`);
  }
  const ready = (model: Transformer) => {
    if (beam !== undefined) model.beam = beam;
    if (v["no-shortlist"]) model.shortlist = undefined;
    return model;
  };
  let open: Partial<Record<Direction, () => Promise<Transformer>>>;
  let described: string;
  const decoding = (b: number) => b > 1 ? `beam ${b}` : "greedy";
  let mode = beam === undefined ? "each model's own beam" : decoding(beam);
  if (v.model === undefined) {
    // Both shipped models, each loaded by the first request that needs it.
    open = {
      "en-es": async () => ready(await loadDefaultModel({ threads })),
      "es-en": async () => ready(await loadEsEnModel({ threads })),
    };
    described = "en→es and es→en, each loaded on first use";
  } else {
    // One model, opened now: a bad file fails here, not at the first request.
    const { model, direction } = await openModelAndDirectionForCli(v.model, threads);
    ready(model);
    open = { [direction]: () => Promise.resolve(model) };
    described = `model ${v.model}, ${direction.replace("-", "→")}`;
    mode = decoding(model.beam);
  }
  const pairs = new LanguagePairs(open, { maxQueue });
  const handler = createHandler({
    pairs,
    charLimit,
    apiKeys,
    bodyTimeoutMs: bodyTimeout * 1000,
    log: v.quiet ? undefined : (line) => console.error(line),
  });
  const ac = new AbortController();
  // Deno.serve drops the response of a request still being handled when its signal aborts,
  // so a stop waits for those first; requests that arrive meanwhile are told to go away.
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
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      port,
      hostname: v.host,
      signal: ac.signal,
      onListen: ({ hostname, port }) =>
        console.error(
          `Listening on http://${hostname}:${port}/ (${described}; ${mode}; ${
            plural(threads ?? navigator.hardwareConcurrency, "thread")
          }); Ctrl-C stops.`,
        ),
    }, serving);
  } catch (e) {
    await pairs.close();
    if (e instanceof Deno.errors.AddrInUse) {
      throw new VamosError(`Port ${port} is in use; choose another with --port`);
    }
    throw new VamosError(`Cannot listen on ${v.host}:${port}: ${(e as Error).message}`);
  }
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
  await pairs.close();
  console.error("Stopped.");
  return 0;
}

if (import.meta.main) await runCli("serve", main);
