// The directions served and their languages.
import { deepEqual } from "node:assert/strict";
import { DIRECTIONS, languagesOf } from "../../src/text/languages.ts";

Deno.test("a direction's source and target", () => {
  deepEqual(DIRECTIONS, ["en-es", "es-en"]);
  deepEqual(languagesOf("es-en"), { source: "es", target: "en" });
});
