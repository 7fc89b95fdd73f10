// serve.ts, the real server on an ephemeral loopback port, talked to over HTTP: every
// endpoint, every error, batching that answers as one-at-a-time does, and a stop that
// finishes the requests in flight. Only --allow-net is given, as the README says.
import { deepEqual, equal, match, ok } from "node:assert/strict";

import { post, start } from "./_server.ts";

const root = new URL("../", import.meta.url);

Deno.test("serve.ts: the LibreTranslate endpoints, as JSON and as forms", async () => {
  const s = await start();
  try {
    const one = await post(`${s.url}translate`, {
      q: "Where is the bathroom?",
      source: "en",
      target: "es",
      format: "text",
      api_key: "ignored without configured keys",
    });
    equal(one.status, 200);
    deepEqual(one.body, { translatedText: "¿Dónde está el baño?" });
    equal(one.headers.get("access-control-allow-origin"), "*");
    const many = await post(`${s.url}translate`, {
      q: ["I am hungry.", "let's go"],
      source: "auto",
      target: "es",
      alternatives: 3,
    });
    deepEqual(many.body.translatedText, ["Tengo hambre.", "Vamos."]);
    deepEqual(many.body.detectedLanguage.map((d: { language: string }) => d.language), [
      "en",
      "en",
    ]);
    equal(many.body.alternatives.length, 2);
    equal(many.body.alternatives[0].length, 3); // the 3 next-best of a beam of 4
    ok(!many.body.alternatives[0].includes(many.body.translatedText[0]));
    const form = await fetch(`${s.url}translate`, {
      method: "POST",
      body: new URLSearchParams({ q: "I am hungry.", source: "en", target: "es" }),
    });
    deepEqual(await form.json(), { translatedText: "Tengo hambre." });
    const data = new FormData();
    data.set("q", "let's go");
    data.set("source", "en");
    data.set("target", "es");
    const multipart = await fetch(`${s.url}translate`, { method: "POST", body: data });
    deepEqual(await multipart.json(), { translatedText: "Vamos." });
    const detect = await post(`${s.url}detect`, { q: "¿Dónde está el baño?" });
    equal(detect.body[0].language, "es");
    ok(detect.body[0].confidence > 50);
    const langs = await (await fetch(`${s.url}languages`)).json();
    deepEqual(langs.map((l: { code: string }) => l.code), ["en", "es"]);
    deepEqual(langs.map((l: { targets: string[] }) => l.targets), [["es"], ["en"]]);
    const settings = await (await fetch(`${s.url}frontend/settings`)).json();
    equal(settings.charLimit, 5000);
    equal(settings.keyRequired, false);
    const health = await (await fetch(`${s.url}health`)).json();
    equal(health.status, "ok");
    const page = await fetch(s.url);
    match(await page.text(), /<select id="pair">/);
    const preflight = await fetch(`${s.url}translate`, { method: "OPTIONS" });
    equal(preflight.status, 204);
    match(preflight.headers.get("access-control-allow-methods")!, /POST/);
    await preflight.body?.cancel();
  } finally {
    equal((await s.stop()).code, 0);
  }
  // One access-log line per request: method, path, status, sentences, ms.
  ok(s.log.some((l) => /^POST \/translate 200 2 [\d.]+ms$/.test(l)), s.log.join("\n"));
});

Deno.test("serve.ts: every error is JSON with its status, and the server keeps serving", async () => {
  const keys = await Deno.makeTempFile();
  await Deno.writeTextFile(keys, "secret-1\nsecret-2\n");
  const s = await start(
    ["--char-limit", "40", "--max-queue", "2", "--api-keys", keys, "--quiet"],
    ["--allow-net", `--allow-read=${keys}`],
  );
  const t = `${s.url}translate`;
  const key = { api_key: "secret-2" };
  try {
    const cases: [unknown, number, RegExp][] = [
      ["{bad json", 400, /not valid JSON/],
      ["[1, 2]", 400, /must be a JSON object/],
      [{ ...key, target: "es" }, 400, /missing q/],
      [{ ...key, q: 5, target: "es" }, 400, /q must be a string or an array of strings/],
      [{ ...key, q: ["a", 2], target: "es" }, 400, /q must be/],
      [{ ...key, q: "hi" }, 400, /missing target/],
      [{ ...key, q: "hi", source: "fr", target: "es" }, 400, /fr is not supported/],
      [{ ...key, q: "hi", source: "en", target: "de" }, 400, /de is not supported/],
      [{ ...key, q: "hi", source: "es", target: "es" }, 400, /source and target are both es/],
      [{ ...key, q: "hi", target: "es", format: "html" }, 400, /format "html" is not supported/],
      [{ ...key, q: "hi", target: "es", alternatives: -1 }, 400, /alternatives/],
      [{ q: "hi", target: "es" }, 403, /Invalid API key/],
      [{ q: "hi", target: "es", api_key: "wrong" }, 403, /Invalid API key/],
      [{ ...key, q: "x".repeat(41), target: "es" }, 413, /41 characters, the limit is 40/],
      [{ ...key, q: ["a", "b", "c"], target: "es" }, 429, /at most 2/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(t, body);
      equal(r.status, status, JSON.stringify(body));
      match(r.body.error, message);
    }
    // A body far over the cap is refused before it is read in full.
    const huge = await fetch(t, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array(8 << 20),
    });
    equal(huge.status, 413);
    match((await huge.json()).error, /at most 1048576 are read/);
    const get = await fetch(t);
    equal(get.status, 405);
    await get.body?.cancel();
    const missing = await fetch(`${s.url}nowhere`);
    equal(missing.status, 404);
    await missing.body?.cancel();
    // The key as a bearer token works too; after all that, the server still answers.
    const bearer = await post(t, { q: "I am hungry.", source: "en", target: "es" }, {
      authorization: "Bearer secret-1",
    });
    deepEqual(bearer.body, { translatedText: "Tengo hambre." });
  } finally {
    equal((await s.stop()).code, 0);
    await Deno.remove(keys);
  }
});

Deno.test("serve.ts: concurrent requests are batched and answered as one at a time", async () => {
  const s = await start(["--quiet"]);
  try {
    const sentences = [
      "I am hungry.",
      "Where is the bathroom?",
      "Tom is proud of his son.",
      "Do you want me to take you home?",
      "She said that she was happy.",
      "Tokyo is a big city.",
      "let's go",
      "I hate to interrupt you, but I need to say something.",
    ];
    const alone: string[] = [];
    for (const q of sentences) {
      alone.push(
        (await post(`${s.url}translate`, { q, source: "en", target: "es" })).body.translatedText,
      );
    }
    const before = (await (await fetch(`${s.url}health`)).json()).batches;
    const together = await Promise.all(
      Array.from(
        { length: 64 },
        (_, i) => post(`${s.url}translate`, { q: sentences[i % 8], source: "en", target: "es" }),
      ),
    );
    deepEqual(
      together.map((r) => r.body.translatedText),
      Array.from({ length: 64 }, (_, i) => alone[i % 8]),
    );
    const batches = (await (await fetch(`${s.url}health`)).json()).batches - before;
    ok(batches < 64, `64 requests took ${batches} batches`);
    // Clients that give up mid-request do not disturb the others.
    const gone = Array.from({ length: 8 }, () => {
      const ac = new AbortController();
      const r = fetch(`${s.url}translate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ q: sentences[7], source: "en", target: "es" }),
        signal: ac.signal,
      }).catch(() => undefined);
      setTimeout(() => ac.abort(), 5);
      return r;
    });
    await Promise.all(gone);
    const after = await post(`${s.url}translate`, { q: sentences[0], source: "en", target: "es" });
    equal(after.body.translatedText, alone[0]);
  } finally {
    equal((await s.stop()).code, 0);
  }
});

Deno.test("serve.ts: a client that sends its body slowly neither blocks others nor stays forever", async () => {
  const s = await start(["--quiet", "--body-timeout", "1"]);
  try {
    const { port } = new URL(s.url);
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    await slow.write(new TextEncoder().encode(
      "POST /translate HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n" +
        'content-length: 200\r\n\r\n{"q": "I am',
    ));
    // Meanwhile, others are served.
    const other = await post(`${s.url}translate`, {
      q: "I am hungry.",
      source: "en",
      target: "es",
    });
    deepEqual(other.body, { translatedText: "Tengo hambre." });
    // And the slow one is answered 400 once its time is up.
    const buf = new Uint8Array(4096);
    const n = await slow.read(buf);
    const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    match(answer, /^HTTP\/1\.1 400/);
    match(answer, /did not arrive within 1 s/);
    slow.close();
  } finally {
    equal((await s.stop()).code, 0);
  }
});

Deno.test("serve.ts: SIGTERM finishes the requests in flight, then stops accepting", async () => {
  const s = await start(["--quiet"]);
  // The model is loaded by the first request; the stop comes once it serves. These
  // requests use connections of their own, closed after use: a kept-alive connection that
  // a later request reused could be closed by the stop as idle before the server read it.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const ask = async (path: string, body?: unknown) =>
    await (await fetch(`${s.url}${path}`, {
      client,
      method: body ? "POST" : "GET",
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    })).json();
  await ask("translate", { q: "hi", source: "en", target: "es" });
  // Each on a client of its own: one connection each, never shared with the polling below.
  const own = Array.from({ length: 16 }, () => Deno.createHttpClient({ poolMaxIdlePerHost: 0 }));
  const inFlight = own.map(async (c) => {
    const r = await fetch(`${s.url}translate`, {
      client: c,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        q: "I hate to interrupt you, but I need to say something. Tom is proud of his son.",
        source: "en",
        target: "es",
      }),
    });
    return { status: r.status, body: await r.json() };
  });
  // The stop comes once the server has read all 16 (a connection it has not yet accepted
  // would be refused, as any after the stop is); most are still waiting or being translated.
  for (;;) {
    const h = await ask("health");
    if (h.waiting + h.texts >= 17) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const status = await s.stop();
  const answers = await Promise.all(inFlight);
  client.close();
  own.forEach((c) => c.close());
  equal(status.code, 0);
  deepEqual(answers.map((a) => a.status), new Array(16).fill(200));
  ok(s.log.some((l) => /Stopped\./.test(l)));
  let refused = false;
  try {
    await (await fetch(`${s.url}health`)).body?.cancel();
  } catch {
    refused = true;
  }
  ok(refused, "the stopped server still answered");
});

// A run that ends by itself (a usage error): its exit code and stderr.
async function runToEnd(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("serve.ts: without network permission, one line saying which flag", async () => {
  const out = await runToEnd(["serve.ts", "--port", "0"]);
  equal(out.code, 2);
  match(
    out.stderr,
    /^serve: Listening on .* needs permission: run deno run --allow-net serve.ts\n$/,
  );
});

Deno.test("serve.ts --beam: the model's beam by default, greedy on request", async () => {
  const shipped = await start();
  const greedy = await start(["--beam", "1"]);
  try {
    match(
      shipped.log.join("\n"),
      /\(en→es and es→en, each loaded on first use; each model's own beam; /,
    );
    match(greedy.log.join("\n"), /; greedy; /);
    const q = { q: ["I am hungry.", "Where is the bathroom?"], source: "en", target: "es" };
    deepEqual((await post(`${greedy.url}translate`, q)).body.translatedText, [
      "Tengo hambre.",
      "¿Dónde está el baño?",
    ]);
  } finally {
    await shipped.stop();
    await greedy.stop();
  }
  const out = await runToEnd(["--allow-net", "serve.ts", "--port", "0", "--beam", "0"]);
  equal(out.code, 2);
  match(out.stderr, /^serve: --beam must be/);
});

Deno.test("serve.ts: both directions, source auto per text, each model loaded on first use", async () => {
  const s = await start();
  try {
    const health = async () => (await (await fetch(`${s.url}health`)).json()).pairs;
    deepEqual(await health(), { "en-es": { loaded: false }, "es-en": { loaded: false } });
    const es = await post(`${s.url}translate`, {
      q: "¿Dónde está el baño?",
      source: "es",
      target: "en",
    });
    deepEqual(es.body, { translatedText: "Where is the bathroom?" });
    const after = await health();
    equal(after["en-es"].loaded, false); // a Spanish→English request opens that model only
    equal(after["es-en"].loaded, true);
    // A list may mix languages: each text goes to its own model, or comes back as it is
    // when it already is in the target language.
    const mixed = await post(`${s.url}translate`, {
      q: ["Tengo hambre.", "I am hungry.", "¿Dónde está el baño?"],
      source: "auto",
      target: "en",
    });
    deepEqual(mixed.body.translatedText, ["I'm hungry.", "I am hungry.", "Where is the bathroom?"]);
    deepEqual(mixed.body.detectedLanguage.map((d: { language: string }) => d.language), [
      "es",
      "en",
      "es",
    ]);
    const toEs = await post(`${s.url}translate`, {
      q: ["Tengo hambre.", "Where is the bathroom?"],
      source: "auto",
      target: "es",
      alternatives: 2,
    });
    deepEqual(toEs.body.translatedText, ["Tengo hambre.", "¿Dónde está el baño?"]);
    deepEqual(toEs.body.alternatives[0], []);
    equal(toEs.body.alternatives[1].length, 2);
    equal((await health())["en-es"].loaded, true);
    const binary = await post(`${s.url}translate`, {
      q: "\u0001\u0002S\u0003",
      source: "auto",
      target: "en",
    });
    equal(binary.status, 400);
    match(binary.body.error, /is not text/);
  } finally {
    equal((await s.stop()).code, 0);
  }
});

Deno.test("serve.ts --model: one model, its own direction, the other pair refused", async () => {
  const s = await start(["--model", "es-en", "--quiet"]);
  try {
    match(s.log.join("\n"), /\(model es-en, es→en; beam 4; /);
    const langs = await (await fetch(`${s.url}languages`)).json();
    deepEqual(langs, [
      { code: "es", name: "Spanish", targets: ["en"] },
      { code: "en", name: "English", targets: [] },
    ]);
    const es = await post(`${s.url}translate`, { q: "Tengo hambre.", source: "es", target: "en" });
    deepEqual(es.body, { translatedText: "I'm hungry." });
    const en = await post(`${s.url}translate`, { q: "I am hungry.", source: "en", target: "es" });
    equal(en.status, 400);
    match(
      en.body.error,
      /en is not supported as a source language \(this server translates es → en\)/,
    );
    const auto = await post(`${s.url}translate`, { q: "I am hungry.", target: "es" });
    equal(auto.status, 400);
    match(auto.body.error, /es is not supported as a target language/);
  } finally {
    equal((await s.stop()).code, 0);
  }
});
