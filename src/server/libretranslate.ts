/**
 * The HTTP API of LibreTranslate, as its clients use it, over a dynamic batcher:
 * `POST /translate`, `POST /detect`, `GET /languages`, `GET /frontend/settings`,
 * `GET /health`, and a translate page at `/`. Every request is checked before any work: body size (before it is read
 * in full), JSON or form fields and their types, the language pair, the character
 * limit and the API key; each problem is a JSON `{"error": ...}` with its status code.
 * @module
 */
import { QueueFullError } from "./batcher.ts";
import { type Detection, detectLanguage } from "../text/detect.ts";
import type { LanguagePairs } from "./pairs.ts";
import type { TextResult } from "../model/batch_translate.ts";
import { type Direction, languagesOf } from "../text/languages.ts";
import { notTextProblem } from "../text/hygiene.ts";
import { TRANSLATE_PAGE } from "./translate_page.ts";

/** Options of {@linkcode createHandler}. */
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

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "Content-Type, Authorization",
  "access-control-max-age": "86400",
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...CORS, "content-type": "application/json; charset=utf-8" },
  });
}

// The body, read with a size cap and a deadline: a huge or endless body is cut off.
async function readBody(
  req: Request,
  maxBytes: number,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await req.body?.cancel().catch(() => {});
    throw new HttpError(
      413,
      `The request body has ${declared} bytes; at most ${maxBytes} are read`,
    );
  }
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new HttpError(400, `The request body did not arrive within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      const { value, done } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        throw new HttpError(413, `The request body is over ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, "The request body could not be read");
  } finally {
    clearTimeout(timer);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// The request's fields, from JSON or a form, as LibreTranslate clients send them.
async function readFields(
  req: Request,
  opts: Required<Pick<HandlerOptions, "maxBodyBytes" | "bodyTimeoutMs">>,
) {
  const bytes = await readBody(req, opts.maxBodyBytes, opts.bodyTimeoutMs);
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const fields: Record<string, unknown> = {};
  if (type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await new Request("http://form/", {
        method: "POST",
        headers: req.headers,
        body: bytes,
      })
        .formData();
    } catch {
      throw new HttpError(400, "Invalid request: the form data cannot be parsed");
    }
    for (const key of new Set(form.keys())) {
      const all = form.getAll(key).map((v) => (typeof v === "string" ? v : ""));
      fields[key] = all.length > 1 ? all : all[0];
    }
    return fields;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "Invalid request: the body is not UTF-8 text");
  }
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const params = new URLSearchParams(text);
    for (const key of new Set(params.keys())) {
      const all = params.getAll(key);
      fields[key] = all.length > 1 ? all : all[0];
    }
    return fields;
  }
  if (text.trim() === "") return fields;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Invalid request: the body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "Invalid request: the body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function texts(fields: Record<string, unknown>): { q: string[]; many: boolean } {
  const q = fields.q;
  if (q === undefined || q === null) {
    throw new HttpError(400, "Invalid request: missing q parameter");
  }
  if (typeof q === "string") return { q: [q], many: false };
  if (Array.isArray(q) && q.every((t) => typeof t === "string")) return { q, many: true };
  throw new HttpError(400, "Invalid request: q must be a string or an array of strings");
}

function checkKey(fields: Record<string, unknown>, req: Request, keys?: ReadonlySet<string>): void {
  if (!keys || keys.size === 0) return;
  const key = fields.api_key ??
    req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
  if (typeof key !== "string" || !keys.has(key)) {
    throw new HttpError(403, "Invalid API key");
  }
}

function checkLimit(q: string[], limit: number): void {
  const chars = q.reduce((n, t) => n + t.length, 0);
  if (chars > limit) {
    throw new HttpError(
      413,
      `Invalid request: the text has ${chars} characters, the limit is ${limit}`,
    );
  }
}

/** A request handler for Deno.serve implementing the API. */
export function createHandler(opts: HandlerOptions): (req: Request) => Promise<Response> {
  const limits = {
    maxBodyBytes: opts.maxBodyBytes ?? 1 << 20,
    bodyTimeoutMs: opts.bodyTimeoutMs ?? 10_000,
  };
  const charLimit = opts.charLimit ?? 5000;

  async function translate(req: Request): Promise<[Response, number]> {
    const fields = await readFields(req, limits);
    checkKey(fields, req, opts.apiKeys);
    const { q, many } = texts(fields);
    const source = fields.source ?? "auto";
    const target = fields.target;
    if (typeof source !== "string") {
      throw new HttpError(400, "Invalid request: source must be a string");
    }
    if (target === undefined) throw new HttpError(400, "Invalid request: missing target parameter");
    if (typeof target !== "string") {
      throw new HttpError(400, "Invalid request: target must be a string");
    }
    const served = opts.pairs.directions.join(", ").replaceAll("-", " → ");
    if (
      source !== "auto" &&
      !opts.pairs.languages().some((l) => l.code === source && l.targets.length)
    ) {
      throw new HttpError(
        400,
        `${source} is not supported as a source language (this server translates ${served})`,
      );
    }
    if (!opts.pairs.languages().some((l) => l.targets.includes(target))) {
      throw new HttpError(
        400,
        `${target} is not supported as a target language (this server translates ${served})`,
      );
    }
    if (source === target) {
      throw new HttpError(400, `Invalid request: source and target are both ${target}`);
    }
    const format = fields.format ?? "text";
    if (format !== "text") {
      throw new HttpError(
        400,
        `Invalid request: format ${JSON.stringify(format)} is not supported; use "text"`,
      );
    }
    const alternatives = fields.alternatives === undefined ? 0 : Number(fields.alternatives);
    if (!Number.isInteger(alternatives) || alternatives < 0 || alternatives > 10) {
      throw new HttpError(400, "Invalid request: alternatives must be an integer from 0 to 10");
    }
    checkLimit(q, charLimit);
    // Each text's language: given, or detected text by text (a list may mix both).
    const detected: Detection[] | undefined = source === "auto"
      ? q.map((t) => detectLanguage(t)[0])
      : undefined;
    const sources = detected?.map((d) => d.language) ?? q.map(() => source);
    const groups = new Map<Direction, number[]>();
    sources.forEach((s, i) => {
      if (s === target) {
        // Already in the target language: returned as it is, if it is text at all.
        const problem = notTextProblem(q[i]);
        if (problem) throw new HttpError(400, `${problem}; not translated`);
        return;
      }
      const direction = opts.pairs.find(s, target);
      if (!direction) {
        throw new HttpError(
          400,
          `${s} → ${target} is not supported (this server translates ${served})`,
        );
      }
      groups.set(direction, [...groups.get(direction) ?? [], i]);
    });
    const out = [...q];
    const others: string[][] = q.map(() => []);
    await Promise.all([...groups].map(async ([direction, at]) => {
      const pair = await opts.pairs.get(direction);
      const group = at.map((i) => q[i]);
      let results: TextResult[];
      try {
        results = await pair.batcher.translate(group);
      } catch (e) {
        if (e instanceof QueueFullError) throw new HttpError(429, e.message);
        throw e;
      }
      const failed = results.find((r) => r.error);
      if (failed) throw new HttpError(400, failed.error!.message);
      at.forEach((i, k) => out[i] = results[k].translation);
      if (alternatives > 0) {
        // Beam search with one hypothesis more than asked for: the best is the
        // translation, the rest the alternatives (a text the model cannot take whole,
        // such as a paragraph, keeps its translation and gets none).
        for (const i of at) {
          let list: string[] | undefined;
          try {
            list = pair.nbest(q[i], alternatives + 1);
          } catch {
            list = undefined;
          }
          if (list?.length) out[i] = list[0];
          others[i] = list?.slice(1) ?? [];
        }
      }
    }));
    const body: Record<string, unknown> = { translatedText: many ? out : out[0] };
    if (detected) body.detectedLanguage = many ? detected : detected[0];
    if (alternatives > 0) body.alternatives = many ? others : others[0];
    return [json(200, body), q.length];
  }

  async function detect(req: Request): Promise<[Response, number]> {
    const fields = await readFields(req, limits);
    checkKey(fields, req, opts.apiKeys);
    const { q } = texts(fields);
    checkLimit(q, charLimit);
    return [json(200, detectLanguage(q.join("\n"))), 0];
  }

  return async (req: Request): Promise<Response> => {
    const t0 = performance.now();
    const path = new URL(req.url).pathname;
    let response: Response;
    let sentences = 0;
    try {
      if (req.method === "OPTIONS") response = new Response(null, { status: 204, headers: CORS });
      else if (path === "/translate" || path === "/detect") {
        if (req.method !== "POST") throw new HttpError(405, `Use POST for ${path}`);
        [response, sentences] = path === "/translate" ? await translate(req) : await detect(req);
      } else if (req.method !== "GET" && req.method !== "HEAD") {
        throw new HttpError(405, `Use GET for ${path}`);
      } else if (path === "/languages") response = json(200, opts.pairs.languages());
      else if (path === "/frontend/settings") {
        // What LibreTranslate's own web page and some clients read before translating.
        const languages = opts.pairs.languages().map(({ code, name }) => ({ code, name }));
        const first = languagesOf(opts.pairs.directions[0]);
        response = json(200, {
          apiKeys: Boolean(opts.apiKeys?.size),
          keyRequired: Boolean(opts.apiKeys?.size),
          charLimit,
          suggestions: false,
          filesTranslation: false,
          supportedFilesFormat: [],
          language: {
            source: languages.find((l) => l.code === first.source),
            target: languages.find((l) => l.code === first.target),
          },
        });
      } else if (path === "/health") {
        // Summed over the pairs opened so far, and per pair.
        const loaded = await opts.pairs.loaded();
        const sum = (f: (b: (typeof loaded)[number][1]) => number) =>
          loaded.reduce((n, [, b]) => n + f(b), 0);
        response = json(200, {
          status: "ok",
          waiting: sum((b) => b.waiting),
          batches: sum((b) => b.stats.batches),
          texts: sum((b) => b.stats.texts),
          pairs: Object.fromEntries(
            opts.pairs.directions.map((d) => {
              const b = loaded.find(([x]) => x === d)?.[1];
              return [d, b ? { loaded: true, waiting: b.waiting, ...b.stats } : { loaded: false }];
            }),
          ),
        });
      } else if (path === "/" || path === "/index.html") {
        response = new Response(TRANSLATE_PAGE, {
          headers: { ...CORS, "content-type": "text/html; charset=utf-8" },
        });
      } else throw new HttpError(404, `Not found: ${path}`);
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
