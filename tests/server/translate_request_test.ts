// A translate request's fields, checked into a TranslateRequest: the texts grouped by the
// direction that translates them, detection, and the refusals.
import { deepEqual, equal, throws } from "node:assert/strict";
import { parseTranslateRequest } from "../../src/server/translate_request.ts";
import { LanguagePairs } from "../../src/server/pairs.ts";
import { HttpError } from "../../src/server/http.ts";

const never = () => Promise.reject(new Error("not opened by parsing"));
const both = new LanguagePairs({ "en-es": never, "es-en": never });

Deno.test("texts are grouped by direction; with source auto each is detected", () => {
  const r = parseTranslateRequest(
    { q: ["Where is the bathroom?"], source: "en", target: "es" },
    both,
    100,
  );
  deepEqual([...r.groups], [["en-es", [0]]]);
  equal(r.many, true);
  equal(r.alternatives, 0);
  const auto = parseTranslateRequest(
    { q: ["I am very hungry today.", "Tengo mucha hambre hoy."], target: "en" },
    both,
    100,
  );
  deepEqual(auto.detected?.map((d) => d.language), ["en", "es"]);
  // The English text is already in the target language: no direction translates it.
  deepEqual([...auto.groups], [["es-en", [1]]]);
});

Deno.test("bad fields are HttpErrors with their status", () => {
  const refuse = (fields: Record<string, unknown>, status: number, message: RegExp) =>
    throws(() => parseTranslateRequest(fields, both, 20), (e) => {
      return e instanceof HttpError && e.status === status && message.test(e.message);
    });
  refuse({ q: 3, target: "es" }, 400, /q must be a string/);
  refuse({ q: "hi", source: 1, target: "es" }, 400, /source must be a string/);
  refuse({ q: "hi", target: "de" }, 400, /de is not supported as a target/);
  refuse({ q: "hi", source: "es", target: "es" }, 400, /both es/);
  refuse({ q: "hi", target: "es", alternatives: "x" }, 400, /alternatives/);
  refuse({ q: "a".repeat(21), target: "es" }, 413, /21 characters, the limit is 20/);
  const one = new LanguagePairs({ "en-es": never });
  throws(
    () => parseTranslateRequest({ q: "Tengo mucha hambre hoy.", target: "en" }, one, 100),
    /not supported as a target language \(this server translates en → es\)/,
  );
});
