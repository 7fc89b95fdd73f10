/**
 * The page `serve.ts` answers `GET /` with: a form that talks to the server's own
 * `/translate`, so a person with a browser needs nothing else. (The full playground,
 * with the model running in the page, is `deno task web`.)
 * @module
 */

/** The HTML of the translate page. */
export const TRANSLATE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>vamos — translate</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 0 auto; padding: 1rem; line-height: 1.45; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; }
  button { font: inherit; padding: 0.4rem 0.9rem; margin: 0.4rem 0; }
  #out { font-size: 1.3rem; font-weight: 600; min-height: 2rem; }
  .status { color: #555; }
  :focus-visible { outline: 3px solid #e8a33d; outline-offset: 2px; }
</style>
</head>
<body>
<h1>vamos</h1>
<p>Served by <code>serve.ts</code> (LibreTranslate's API: <code>POST /translate</code>).</p>
<label for="pair">Direction</label>
<select id="pair"><option value="en-es">English → Spanish</option></select>
<button type="button" id="swap" aria-label="Swap the languages">⇄</button>
<br>
<label for="q">Text (Ctrl+Enter translates)</label>
<textarea id="q" rows="4">Where is the bathroom?</textarea>
<button type="button" id="go">Translate</button>
<p id="out" lang="es" aria-live="polite"></p>
<p id="status" class="status" role="status"></p>
<script type="module">
  const q = document.getElementById("q"), out = document.getElementById("out");
  const status = document.getElementById("status"), pair = document.getElementById("pair");
  // The directions the server offers, from its /languages.
  fetch("/languages").then((r) => r.json()).then((langs) => {
    const name = Object.fromEntries(langs.map((l) => [l.code, l.name]));
    pair.replaceChildren(...langs.flatMap((l) => l.targets.map((t) =>
      new Option(name[l.code] + " → " + name[t], l.code + "-" + t))));
  }).catch(() => {});
  document.getElementById("swap").addEventListener("click", () => {
    const [s, t] = pair.value.split("-");
    if ([...pair.options].some((o) => o.value === t + "-" + s)) {
      pair.value = t + "-" + s;
      if (out.textContent) [q.value, out.textContent] = [out.textContent, ""];
    }
  });
  async function go() {
    const t0 = performance.now();
    status.textContent = "Translating…";
    try {
      const r = await fetch("/translate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          q: q.value, source: pair.value.split("-")[0], target: pair.value.split("-")[1], format: "text",
        }),
      });
      const body = await r.json();
      if (!r.ok) throw new Error(body.error ?? r.statusText);
      out.textContent = body.translatedText;
      out.lang = pair.value.split("-")[1];
      status.textContent = (performance.now() - t0).toFixed(0) + " ms";
    } catch (e) {
      out.textContent = "";
      status.textContent = e.message;
    }
  }
  document.getElementById("go").addEventListener("click", go);
  q.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) go(); });
</script>
</body>
</html>
`;
