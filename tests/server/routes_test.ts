// The API's routes in this process, through createHandler, over the StatQuest model's
// pair (en→es): each route's answer, and the method and path rules of the route table.
import { deepEqual, equal, ok } from "node:assert/strict";
import { createHandler } from "../../src/server/libretranslate.ts";
import { LanguagePairs } from "../../src/server/pairs.ts";
import { ROUTES } from "../../src/server/routes.ts";
import { statquestModel } from "../../models/statquest.ts";

function server(apiKeys?: Set<string>) {
  const model = statquestModel(1);
  const pairs = new LanguagePairs({ "en-es": () => Promise.resolve(model) });
  const lines: string[] = [];
  const handle = createHandler({ pairs, apiKeys, charLimit: 40, log: (l) => lines.push(l) });
  const ask = async (method: string, path: string, body?: unknown) => {
    const res = await handle(
      new Request(`http://local${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    return {
      status: res.status,
      body: text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text,
    };
  };
  return { ask, lines, close: () => pairs.close().then(() => model.close()) };
}

Deno.test("/translate translates one text or a list, with alternatives", async () => {
  const s = server();
  try {
    deepEqual(await s.ask("POST", "/translate", { q: "to go", source: "en", target: "es" }), {
      status: 200,
      body: { translatedText: "ir" },
    });
    const many = await s.ask("POST", "/translate", {
      q: ["let's go", "to go"],
      source: "en",
      target: "es",
    });
    deepEqual(many.body, { translatedText: ["vamos", "ir"] });
    const alt = await s.ask("POST", "/translate", {
      q: "to go",
      source: "en",
      target: "es",
      alternatives: 1,
    });
    equal(alt.status, 200);
    equal(alt.body.translatedText, "ir");
    equal(alt.body.alternatives.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("/translate refuses what it cannot do, with the status and a one-line error", async () => {
  const s = server();
  try {
    const cases: [unknown, number, RegExp][] = [
      [{ source: "en", target: "es" }, 400, /missing q/],
      [{ q: "to go", source: "en" }, 400, /missing target/],
      [{ q: "to go", source: "fr", target: "es" }, 400, /fr is not supported as a source/],
      [{ q: "to go", source: "en", target: "en" }, 400, /not supported as a target|both en/],
      [{ q: "to go", source: "en", target: "es", format: "html" }, 400, /format/],
      [{ q: "to go", source: "en", target: "es", alternatives: 11 }, 400, /alternatives/],
      [{ q: "to go ".repeat(10), source: "en", target: "es" }, 413, /limit is 40/],
    ];
    for (const [body, status, message] of cases) {
      const r = await s.ask("POST", "/translate", body);
      equal(r.status, status, JSON.stringify(body));
      ok(message.test(r.body.error), `${JSON.stringify(body)}: ${r.body.error}`);
      ok(!r.body.error.includes("\n"));
    }
  } finally {
    await s.close();
  }
});

Deno.test("an API key is required when keys are configured", async () => {
  const s = server(new Set(["k1"]));
  try {
    equal(
      (await s.ask("POST", "/translate", { q: "to go", source: "en", target: "es" })).status,
      403,
    );
    const r = await s.ask("POST", "/translate", {
      q: "to go",
      source: "en",
      target: "es",
      api_key: "k1",
    });
    deepEqual(r.body, { translatedText: "ir" });
  } finally {
    await s.close();
  }
});

Deno.test("GET routes: languages, settings, health, the page; methods and unknown paths", async () => {
  const s = server();
  try {
    deepEqual((await s.ask("GET", "/languages")).body, [
      { code: "en", name: "English", targets: ["es"] },
      { code: "es", name: "Spanish", targets: [] },
    ]);
    const settings = (await s.ask("GET", "/frontend/settings")).body;
    equal(settings.charLimit, 40);
    equal(settings.language.source.code, "en");
    equal((await s.ask("GET", "/health")).body.status, "ok");
    const page = await s.ask("GET", "/");
    equal(page.status, 200);
    ok(String(page.body).includes("<html") || String(page.body).includes("<!doctype"));
    equal((await s.ask("GET", "/translate")).status, 405);
    equal((await s.ask("POST", "/languages")).status, 405);
    equal((await s.ask("DELETE", "/nowhere")).status, 405);
    equal((await s.ask("GET", "/nowhere")).status, 404);
    equal((await s.ask("GET", "/constructor")).status, 404); // not an inherited property
    equal((await s.ask("OPTIONS", "/translate")).status, 204);
    ok(s.lines.some((l) => /^GET \/nowhere 404 0 /.test(l)), s.lines.join("\n"));
  } finally {
    await s.close();
  }
});

Deno.test("every route in the table is one of the API's, with its method", () => {
  deepEqual(
    Object.entries(ROUTES).map(([path, r]) => `${r.method} ${path}`).sort(),
    [
      "GET /",
      "GET /frontend/settings",
      "GET /health",
      "GET /index.html",
      "GET /languages",
      "POST /detect",
      "POST /translate",
    ],
  );
});
