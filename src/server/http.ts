/**
 * HTTP plumbing of the LibreTranslate API: errors as JSON with their status, CORS, a
 * body read with a size cap and a deadline, and the fields every route shares (q, the
 * API key, the character limit).
 * @module
 */
/** A request's failure: its HTTP status and the one-line message the client gets. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Every response allows any origin, as LibreTranslate does. */
export const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "Content-Type, Authorization",
  "access-control-max-age": "86400",
};

/** A JSON response. */
export function json(status: number, body: unknown): Response {
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

/** How much body a request may send, and how long it may take. */
export interface BodyLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
}

/** The request's fields, from JSON or a form, as LibreTranslate clients send them. */
export async function readFields(
  req: Request,
  opts: BodyLimits,
): Promise<Record<string, unknown>> {
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

/** The texts of field q: one string, or a list (`many`). */
export function texts(fields: Record<string, unknown>): { q: string[]; many: boolean } {
  const q = fields.q;
  if (q === undefined || q === null) {
    throw new HttpError(400, "Invalid request: missing q parameter");
  }
  if (typeof q === "string") return { q: [q], many: false };
  if (Array.isArray(q) && q.every((t) => typeof t === "string")) return { q, many: true };
  throw new HttpError(400, "Invalid request: q must be a string or an array of strings");
}

/** Refuses a request without an accepted API key (when keys are configured). */
export function checkKey(
  fields: Record<string, unknown>,
  req: Request,
  keys?: ReadonlySet<string>,
): void {
  if (!keys || keys.size === 0) return;
  const key = fields.api_key ??
    req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
  if (typeof key !== "string" || !keys.has(key)) {
    throw new HttpError(403, "Invalid API key");
  }
}

/** Refuses texts over the character limit. */
export function checkLimit(q: string[], limit: number): void {
  const chars = q.reduce((n, t) => n + t.length, 0);
  if (chars > limit) {
    throw new HttpError(
      413,
      `Invalid request: the text has ${chars} characters, the limit is ${limit}`,
    );
  }
}
