// The HTTP plumbing: bodies read with a cap, fields from JSON and forms, the shared field
// checks, and errors as JSON.
import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { checkKey, checkLimit, json, readFields, texts } from "../../src/server/http.ts";

const limits = { maxBodyBytes: 64, bodyTimeoutMs: 1000 };
const post = (body: BodyInit, type: string, headers: Record<string, string> = {}) =>
  new Request("http://local/translate", {
    method: "POST",
    headers: { "content-type": type, ...headers },
    body,
  });

Deno.test("fields come from JSON, url-encoded and multipart forms", async () => {
  deepEqual(await readFields(post('{"q":"hi","target":"es"}', "application/json"), limits), {
    q: "hi",
    target: "es",
  });
  deepEqual(
    await readFields(post("q=a&q=b&target=es", "application/x-www-form-urlencoded"), limits),
    {
      q: ["a", "b"],
      target: "es",
    },
  );
  const form = new FormData();
  form.set("q", "hi");
  const req = new Request("http://local/", { method: "POST", body: form });
  deepEqual(await readFields(req, { ...limits, maxBodyBytes: 1000 }), { q: "hi" });
  deepEqual(await readFields(post("", "application/json"), limits), {});
});

Deno.test("oversized, broken and non-object bodies are refused with their status", async () => {
  const status = async (req: Request, code: number) =>
    await rejects(readFields(req, limits), (e: { status: number }) => e.status === code);
  await status(post("x".repeat(65), "application/json"), 413);
  await status(post("{", "application/json"), 400);
  await status(post("[1]", "application/json"), 400);
  await status(post(new Uint8Array([0xff, 0xfe]), "application/json"), 400);
});

Deno.test("q, the API key and the character limit", () => {
  deepEqual(texts({ q: "a" }), { q: ["a"], many: false });
  deepEqual(texts({ q: ["a", "b"] }), { q: ["a", "b"], many: true });
  throws(() => texts({}), /missing q/);
  throws(() => texts({ q: ["a", 1] }), /q must be a string or an array of strings/);
  const req = new Request("http://local/", { headers: { authorization: "Bearer k" } });
  checkKey({}, req, new Set(["k"])); // from the header
  checkKey({ api_key: "x" }, new Request("http://local/"), undefined); // no keys: accepted
  throws(() => checkKey({ api_key: "x" }, new Request("http://local/"), new Set(["k"])), /API key/);
  checkLimit(["ab", "c"], 3);
  throws(() => checkLimit(["ab", "cd"], 3), /4 characters, the limit is 3/);
});

Deno.test("json() answers with the status, JSON and CORS", async () => {
  const r = json(418, { error: "teapot" });
  equal(r.status, 418);
  equal(r.headers.get("access-control-allow-origin"), "*");
  deepEqual(await r.json(), { error: "teapot" });
});
