/**
 * serve.ts's command line: its help and its flags, checked before any work (the
 * permission to listen and the API key file included).
 * @module
 */
import { readFileForCli, UsageError } from "./run.ts";
import { numberFlag, parseFlags, positiveIntegerFlag, threadsFlag } from "./flags.ts";
import { MAX_BEAM } from "../model/beam.ts";
import { VamosError } from "../errors.ts";

/** serve.ts --help. */
export const SERVE_HELP = `Usage: deno run --allow-net serve.ts [options]

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
  --shortlist       score only the model's vocabulary shortlist at each step, not every
                    token (the shipped models have one): faster one text at a time, a
                    little worse (en→es test BLEU 51.6 against 52.1)
  --no-shortlist    score every token (the default)
  --threads N       threads for the kernels (default: every core)
  --quiet           no access log
  -h, --help        this help`;

/** serve.ts's settings, checked. */
export interface ServeFlags {
  port: number;
  host: string;
  model?: string;
  charLimit: number;
  maxQueue: number;
  apiKeys?: Set<string>;
  bodyTimeoutMs: number;
  beam?: number;
  shortlist: boolean;
  threads?: number;
  quiet: boolean;
}

/** Reads serve.ts's flags; "help" when it was asked for. */
export async function readServeFlags(args: string[]): Promise<ServeFlags | "help"> {
  const v = parseFlags(args, {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    model: { type: "string" },
    "char-limit": { type: "string" },
    "max-queue": { type: "string" },
    "api-keys": { type: "string" },
    "body-timeout": { type: "string" },
    beam: { type: "string" },
    shortlist: { type: "boolean", default: false },
    "no-shortlist": { type: "boolean", default: false },
    threads: { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }).values;
  if (v.help) return "help";
  const port = numberFlag(v, "port", { min: 0, max: 65535, integer: true }) ?? 5000;
  const charLimit = positiveIntegerFlag(v, "char-limit") ?? 5000;
  const maxQueue = positiveIntegerFlag(v, "max-queue") ?? 1000;
  const bodyTimeout = numberFlag(v, "body-timeout", { min: 0.1, max: 3600 }) ?? 10;
  const beam = numberFlag(v, "beam", { min: 1, max: MAX_BEAM, integer: true });
  const threads = threadsFlag(v, "serve");
  if (v.shortlist && v["no-shortlist"]) {
    throw new UsageError("--shortlist and --no-shortlist contradict each other: give one");
  }
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
  return {
    port,
    host: v.host,
    model: v.model,
    charLimit,
    maxQueue,
    apiKeys,
    bodyTimeoutMs: bodyTimeout * 1000,
    beam,
    shortlist: v.shortlist,
    threads,
    quiet: v.quiet,
  };
}
