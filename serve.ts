/**
 * A translation server that LibreTranslate clients can use: the shipped model behind
 * LibreTranslate's HTTP API, with dynamic batching (requests arriving together are
 * translated together), bounded memory and a graceful stop.
 *
 *   deno run --allow-net serve.ts                       http://127.0.0.1:5000
 *   curl -s localhost:5000/translate -H 'content-type: application/json' \
 *     -d '{"q": "Where is the bathroom?", "source": "en", "target": "es"}'
 *
 * SIGINT/SIGTERM stop accepting connections, finish the requests in flight, then exit.
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
import { openModelForCli } from "./src/cli/models.ts";
import { Batcher } from "./src/server/batcher.ts";
import { createHandler } from "./src/server/libretranslate.ts";
import { MAX_BEAM } from "./src/model/beam.ts";
import { VamosError } from "./src/errors.ts";

const HELP = `Usage: deno run --allow-net serve.ts [options]

Serves English→Spanish translation with LibreTranslate's API:
  POST /translate   {"q": "text" | ["text", ...], "source": "en" | "auto", "target": "es",
                     "format": "text", "alternatives": N, "api_key": "..."} (JSON or form)
  POST /detect      {"q": "text"}          GET /languages        GET /health
  GET /             a translate page

Options:
  --port N          port (default 5000; 0 picks a free one)
  --host NAME       address to listen on (default 127.0.0.1)
  --model NAME|FILE "default", "statquest" or a .safetensors checkpoint (needs --allow-read)
  --char-limit N    most characters of text per request (default 5000)
  --max-queue N     most texts waiting to be translated; more get 429 (default 1000)
  --api-keys FILE   accept only these keys (one a line; needs --allow-read)
  --body-timeout S  seconds a client may take to send its request body (default 10)
  --beam N          beam width; 1 is greedy decoding, faster (default: the model's, 4 for
                    the shipped model)
  --threads N       threads for the kernels (default: every core)
  --quiet           no access log
  -h, --help        this help`;

async function main(args: string[]): Promise<number> {
  const v = parseFlags(args, {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    model: { type: "string", default: "default" },
    "char-limit": { type: "string" },
    "max-queue": { type: "string" },
    "api-keys": { type: "string" },
    "body-timeout": { type: "string" },
    beam: { type: "string" },
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
  const model = await openModelForCli(v.model!, threads);
  if (beam !== undefined) model.beam = beam;
  const batcher = new Batcher(model, { maxQueue });
  const handler = createHandler({
    batcher,
    charLimit,
    apiKeys,
    bodyTimeoutMs: bodyTimeout * 1000,
    nbest: (text, n) => model.translateNBest(text, { beam: n, nbest: n }).map((h) => h.translation),
    log: v.quiet ? undefined : (line) => console.error(line),
  });
  const ac = new AbortController();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      port,
      hostname: v.host,
      signal: ac.signal,
      onListen: ({ hostname, port }) =>
        console.error(
          `Listening on http://${hostname}:${port}/ (model ${v.model}, ${
            model.beam > 1 ? `beam ${model.beam}` : "greedy"
          }, ${model.threads} thread${model.threads > 1 ? "s" : ""}); Ctrl-C stops.`,
        ),
    }, handler);
  } catch (e) {
    model.close();
    if (e instanceof Deno.errors.AddrInUse) {
      throw new VamosError(`Port ${port} is in use; choose another with --port`);
    }
    throw new VamosError(`Cannot listen on ${v.host}:${port}: ${(e as Error).message}`);
  }
  const stop = () => {
    console.error("Stopping: finishing the requests in flight.");
    ac.abort(); // stops accepting; server.finished resolves when in-flight requests are answered
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // no such signal here
    }
  }
  await server.finished;
  await batcher.drain();
  model.close();
  console.error("Stopped.");
  return 0;
}

if (import.meta.main) await runCli("serve", main);
