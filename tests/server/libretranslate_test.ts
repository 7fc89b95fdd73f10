// serve.ts through the npm client LibreTranslate's documentation points to, with source es
// and auto. Its own file: the client replaces the global fetch with a polyfill when it is
// imported, which the other server tests must not run on.
import { equal } from "node:assert/strict";
import { translate } from "libretranslate";
import { start } from "../_server.ts";

Deno.test("serve.ts answers the npm libretranslate client, source es, auto and en", async () => {
  const s = await start();
  try {
    const url = s.url.replace(/\/$/, "");
    equal(
      await translate({ query: "Tengo hambre.", source: "es", target: "en", apiurl: url }),
      "I'm hungry.",
    );
    equal(
      await translate({ query: "¿Dónde está el baño?", source: "auto", target: "en", apiurl: url }),
      "Where is the bathroom?",
    );
    equal(
      await translate({ query: "let's go", source: "auto", target: "es", apiurl: url }),
      "Vamos.",
    );
  } finally {
    equal((await s.stop()).code, 0);
  }
});
