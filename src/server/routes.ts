/**
 * The routes of the LibreTranslate API, one function each, and the table that maps a
 * path to its method and function. A route returns its response and the number of
 * texts it translated (for the access log).
 * @module
 */
import { QueueFullError } from "./batcher.ts";
import { detectLanguage } from "../text/detect.ts";
import type { LanguagePairs } from "./pairs.ts";
import type { TextResult } from "../model/batch_translate.ts";
import { type Direction, languagesOf } from "../text/languages.ts";
import { TRANSLATE_PAGE } from "./translate_page.ts";
import {
  type BodyLimits,
  checkKey,
  checkLimit,
  CORS,
  HttpError,
  json,
  readFields,
  texts,
} from "./http.ts";
import { parseTranslateRequest, type TranslateRequest } from "./translate_request.ts";

/** Options of the API's handler. */
export interface HandlerOptions {
  /** The language pairs served, each opened on its first request. */
  pairs: LanguagePairs;
  /** Most characters of text in one request (default 5,000). */
  charLimit?: number;
  /** Accepted API keys; none configured: keys are accepted and ignored. */
  apiKeys?: ReadonlySet<string>;
  /** Largest request body read, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** How long a client may take to send its body, in ms (default 10 s). */
  bodyTimeoutMs?: number;
  /** Receives one access-log line per request. */
  log?: (line: string) => void;
}

/** What every route reads: the options, with their defaults filled in. */
export interface Server {
  opts: HandlerOptions;
  limits: BodyLimits;
  charLimit: number;
}

/** A route: the response to a request, and the texts it translated. */
export type Route = (server: Server, req: Request) => Promise<[Response, number]>;

async function translateRoute(server: Server, req: Request): Promise<[Response, number]> {
  const fields = await readFields(req, server.limits);
  checkKey(fields, req, server.opts.apiKeys);
  const r = parseTranslateRequest(fields, server.opts.pairs, server.charLimit);
  const out = [...r.q];
  const others: string[][] = r.q.map(() => []);
  await Promise.all(
    [...r.groups].map(([direction, at]) => translateGroup(server, r, direction, at, out, others)),
  );
  const body: Record<string, unknown> = { translatedText: r.many ? out : out[0] };
  if (r.detected) body.detectedLanguage = r.many ? r.detected : r.detected[0];
  if (r.alternatives > 0) body.alternatives = r.many ? others : others[0];
  return [json(200, body), r.q.length];
}

// Texts `at` of the request through one direction's batcher, into `out` (and their
// alternatives into `others`).
async function translateGroup(
  server: Server,
  r: TranslateRequest,
  direction: Direction,
  at: number[],
  out: string[],
  others: string[][],
): Promise<void> {
  const pair = await server.opts.pairs.get(direction);
  let results: TextResult[];
  try {
    results = await pair.batcher.translate(at.map((i) => r.q[i]));
  } catch (e) {
    if (e instanceof QueueFullError) throw new HttpError(429, e.message);
    throw e;
  }
  const failed = results.find((x) => x.error);
  if (failed) throw new HttpError(400, failed.error!.message);
  at.forEach((i, k) => out[i] = results[k].translation);
  if (r.alternatives === 0) return;
  // Beam search with one hypothesis more than asked for: the best is the translation, the
  // rest the alternatives (a text the model cannot take whole, such as a paragraph, keeps
  // its translation and gets none).
  for (const i of at) {
    let list: string[] | undefined;
    try {
      list = pair.nbest(r.q[i], r.alternatives + 1);
    } catch {
      list = undefined;
    }
    if (list?.length) out[i] = list[0];
    others[i] = list?.slice(1) ?? [];
  }
}

async function detectRoute(server: Server, req: Request): Promise<[Response, number]> {
  const fields = await readFields(req, server.limits);
  checkKey(fields, req, server.opts.apiKeys);
  const { q } = texts(fields);
  checkLimit(q, server.charLimit);
  return [json(200, detectLanguage(q.join("\n"))), 0];
}

function languagesRoute(server: Server): Promise<[Response, number]> {
  return Promise.resolve([json(200, server.opts.pairs.languages()), 0]);
}

// What LibreTranslate's own web page and some clients read before translating.
function settingsRoute(server: Server): Promise<[Response, number]> {
  const { pairs, apiKeys } = server.opts;
  const languages = pairs.languages().map(({ code, name }) => ({ code, name }));
  const first = languagesOf(pairs.directions[0]);
  return Promise.resolve([
    json(200, {
      apiKeys: Boolean(apiKeys?.size),
      keyRequired: Boolean(apiKeys?.size),
      charLimit: server.charLimit,
      suggestions: false,
      filesTranslation: false,
      supportedFilesFormat: [],
      language: {
        source: languages.find((l) => l.code === first.source),
        target: languages.find((l) => l.code === first.target),
      },
    }),
    0,
  ]);
}

// Summed over the pairs opened so far, and per pair.
async function healthRoute(server: Server): Promise<[Response, number]> {
  const pairs = server.opts.pairs, loaded = await pairs.loaded();
  const sum = (f: (b: (typeof loaded)[number][1]) => number) =>
    loaded.reduce((n, [, b]) => n + f(b), 0);
  const body = {
    status: "ok",
    waiting: sum((b) => b.waiting),
    batches: sum((b) => b.stats.batches),
    texts: sum((b) => b.stats.texts),
    pairs: Object.fromEntries(
      pairs.directions.map((d) => {
        const b = loaded.find(([x]) => x === d)?.[1];
        return [d, b ? { loaded: true, waiting: b.waiting, ...b.stats } : { loaded: false }];
      }),
    ),
  };
  return [json(200, body), 0];
}

function pageRoute(): Promise<[Response, number]> {
  const headers = { ...CORS, "content-type": "text/html; charset=utf-8" };
  return Promise.resolve([new Response(TRANSLATE_PAGE, { headers }), 0]);
}

/** Every path the API answers: its method (GET also answers HEAD) and its route. */
export const ROUTES: Readonly<Record<string, { method: "GET" | "POST"; route: Route }>> = {
  "/translate": { method: "POST", route: translateRoute },
  "/detect": { method: "POST", route: detectRoute },
  "/languages": { method: "GET", route: languagesRoute },
  "/frontend/settings": { method: "GET", route: settingsRoute },
  "/health": { method: "GET", route: healthRoute },
  "/": { method: "GET", route: pageRoute },
  "/index.html": { method: "GET", route: pageRoute },
};
