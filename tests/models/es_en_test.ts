// The shipped Spanish→English model: its entry point (no permission flag), Spanish text of
// every kind through the same hygiene (¿…? ¡…!, spans, paragraphs), and translate.ts --from.
import { equal, match, ok, rejects } from "node:assert/strict";
import { loadEsEnModel } from "../../models/es_en.ts";
import { loadDefaultModel } from "../../models/default.ts";
import { loadDefaultModel as fetchDefaultModel } from "../../mod.ts";
import { run } from "../_cli.ts";

Deno.test("es-en: the shipped model translates Spanish, spans and paragraphs kept", async () => {
  const model = await loadEsEnModel({ threads: 1 });
  try {
    equal(model.translate("Tengo hambre."), "I'm hungry.");
    equal(model.translate("¿Dónde está el baño?"), "Where is the bathroom?");
    // Two sentences, opening marks and a blank line: split, translated, rejoined.
    const out = model.translate("¡Hola! ¿Dónde está el baño?\n\nGracias.");
    const lines = out.split("\n");
    equal(lines.length, 3, out);
    equal(lines[1], "");
    match(lines[0], /bathroom\?$/);
    // Numbers, URLs and operators come back as written; no placeholder leaks.
    const spans = model.translate("Visita https://example.com y paga 25,50 € con 2 + 2 = 4.");
    ok(
      spans.includes("https://example.com") && spans.includes("25,50") &&
        spans.includes("2 + 2 = 4"),
      spans,
    );
    // deno-lint-ignore no-control-regex -- no control character may come out
    ok(!/[\u0000-\u0008]/.test(spans), spans);
  } finally {
    model.close();
  }
});

Deno.test("translate.ts --from es / --to en, and a pair no model translates", async () => {
  const es = await run(["run", "translate.ts", "--from", "es", "Tengo hambre."]);
  equal(es.code, 0, es.stderr);
  equal(es.stdout, "I'm hungry.\n");
  const to = await run(["run", "translate.ts", "--to", "en"], "Tengo hambre.\n");
  equal(to.stdout, "I'm hungry.\n");
  const fr = await run(["run", "translate.ts", "--from", "fr", "x"]);
  equal(fr.code, 2);
  match(
    fr.stderr,
    /^translate: No shipped model translates fr to es: use --from en --to es, --from es --to en or --from auto\n$/,
  );
  const toFr = await run(["run", "translate.ts", "--from", "auto", "--to", "fr", "x"]);
  equal(toFr.code, 2);
  match(toFr.stderr, /^translate: No shipped model translates to fr: use --to es or --to en\n$/);
  const both = await run(["run", "translate.ts", "--from", "es", "--model", "default", "x"]);
  equal(both.code, 2);
  match(both.stderr, /give it or --from\/--to, not both/);
  // --from auto: each line's own language; to a given --to, a line already in it is kept.
  const mixed = "Tengo hambre.\n\nI am hungry.\n¿Dónde está el baño?\n";
  const auto = await run(["run", "translate.ts", "--from", "auto"], mixed);
  equal(auto.code, 0, auto.stderr);
  equal(auto.stdout, "I'm hungry.\n\nTengo hambre.\nWhere is the bathroom?\n");
  const toEn = await run(["run", "translate.ts", "--from", "auto", "--to", "en"], mixed);
  equal(toEn.stdout, "I'm hungry.\n\nI am hungry.\nWhere is the bathroom?\n");
  const args = await run([
    "run",
    "translate.ts",
    "--from",
    "auto",
    "--to",
    "es",
    "Tengo hambre.",
    "let's go",
  ]);
  equal(args.stdout, "Tengo hambre.\nVamos.\n");
  // A line that is not text is refused whatever language it might pass for.
  const binary = await run(
    ["run", "translate.ts", "--from", "auto", "--to", "en"],
    "\u0001\u0002S\u0003\n",
  );
  equal(binary.code, 1);
  equal(binary.stdout, "\n");
  match(binary.stderr, /line 1: is not text/);
  const explained = await run([
    "run",
    "translate.ts",
    "--from",
    "auto",
    "--explain",
    "Tengo hambre.",
  ]);
  match(explained.stdout, /^Translating "Tengo hambre\." → "I'm hungry\."/);
  const nbest = await run(["run", "translate.ts", "--from", "es", "--nbest", "2", "Tengo hambre."]);
  equal(nbest.code, 0, nbest.stderr);
  match(nbest.stdout, /^0 \|\|\| I'm hungry\. \|\|\| -[\d.]+\n0 \|\|\| .+ \|\|\| -[\d.]+\n$/);
  // The default stays English→Spanish.
  equal((await run(["run", "translate.ts", "let's go"])).stdout, "Vamos.\n");
});

Deno.test("loadDefaultModel({ from, to }) picks the shipped direction; a pair there is not is one line", async () => {
  const back = await loadDefaultModel({ from: "es", to: "en", threads: 1 });
  try {
    equal(back.translate("Tengo hambre."), "I'm hungry.");
  } finally {
    back.close();
  }
  const onlyTo = await loadDefaultModel({ to: "en", threads: 1 });
  try {
    equal(onlyTo.translate("Gracias."), "Thanks.");
  } finally {
    onlyTo.close();
  }
  const forth = await loadDefaultModel({ from: "en", threads: 1 });
  try {
    equal(forth.translate("let's go"), "Vamos.");
  } finally {
    forth.close();
  }
  for (const load of [loadDefaultModel, fetchDefaultModel]) {
    await rejects(
      () => load({ from: "fr" }),
      /^VamosError: No shipped model translates fr to es: use \{ from: "en", to: "es" \} or \{ from: "es", to: "en" \}$/,
    );
    await rejects(() => load({ from: "es", to: "es" }), /No shipped model translates es to es/);
  }
});

Deno.test('the package\'s loadDefaultModel fetches es_en_weights.wasm for { from: "es" }', async () => {
  // The fetching loader, as a browser page uses it (here with read permission on models/).
  const model = await fetchDefaultModel({ from: "es", threads: 1 });
  try {
    equal(model.translate("Tengo hambre."), "I'm hungry.");
  } finally {
    model.close();
  }
  await rejects(
    () =>
      fetchDefaultModel({ from: "es", url: new URL("../no_such_weights.wasm", import.meta.url) }),
    /could not be fetched from .*no_such_weights\.wasm.*serve models\/es_en_weights\.wasm there/,
  );
});
