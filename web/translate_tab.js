// The translate tab: the shipped models in the page (English→Spanish at load, Spanish→English
// fetched the first time the user turns the direction), and the encoder-decoder attention
// as a heat-map, one sentence of a paragraph at a time.
import { html, shown, table } from "./charts.js";

function fillSelect(select, n) {
  if (select.options.length === n) return;
  select.replaceChildren(
    ...Array.from({ length: n }, (_, i) => new Option(String(i + 1), String(i))),
  );
}

const LANGUAGES = { en: "English", es: "Spanish" };

/** Loads the shipped model and wires the tab; resolves once the first translation shows. */
export async function setupTranslate({ vamos, playground, $ }) {
  let model;
  let maps;
  // One model per direction, each loaded once, on first use.
  const models = new Map();
  const loadDirection = (direction) => {
    if (!models.has(direction)) {
      const [from, to] = direction.split("-");
      models.set(direction, vamos.loadDefaultModel({ from, to }));
    }
    return models.get(direction);
  };
  const label = (direction) => {
    const [from, to] = direction.split("-");
    $("translate-title").textContent = `${LANGUAGES[from]} → ${LANGUAGES[to]}`;
    $("source-language").textContent = LANGUAGES[from];
    $("source").lang = from;
    $("translation").lang = to;
    for (const e of document.querySelectorAll(".source-language")) e.textContent = LANGUAGES[from];
    for (const e of document.querySelectorAll(".target-language")) e.textContent = LANGUAGES[to];
  };
  const showSentence = (sentences = vamos.splitSentences($("source").value)) => {
    const s = sentences[Number($("sentence").value) || 0];
    maps = s ? model.attention(s) : undefined;
  };
  const drawHeatmap = () => {
    const box = $("heatmap");
    if (!maps) return box.replaceChildren();
    const { sourceTokens, targetTokens, decoderCross, heads } = maps;
    const layer = Number($("layer").value || 0), head = Number($("head").value || 0);
    const tgtLen = targetTokens.length, srcLen = sourceTokens.length;
    const map = decoderCross[layer];
    const p = (i, j) => map[(head * tgtLen + i) * srcLen + j];
    const t = table(
      ["", ...sourceTokens.map(shown)],
      Array.from({ length: tgtLen }, (_, i) => [
        shown(targetTokens[i + 1] ?? "<EOS>"),
        ...sourceTokens.map((_, j) => `${Math.round(100 * p(i, j))}`),
      ]),
      { className: "heatmap", shade: p },
    );
    // The caption stays outside the part that scrolls sideways, so a phone shows it whole.
    box.replaceChildren(
      html("p", {
        className: "status",
        textContent: `Layer ${layer + 1}, head ${head + 1} of ${heads}: rows are what the ` +
          "decoder wrote at each step, columns the source subwords (␣: a word after a space).",
      }),
      html("div", { className: "scroll" }, t),
    );
  };
  const translate = () => {
    const text = $("source").value;
    const t0 = performance.now();
    let out;
    try {
      out = model.translate(text);
    } catch (e) {
      $("translation").textContent = "";
      $("translate-status").textContent = e.message;
      return;
    }
    const ms = performance.now() - t0;
    $("translation").textContent = out;
    $("translate-status").textContent = `${ms.toFixed(0)} ms on ${model.threads} thread(s).`;
    // A paragraph's heat-map shows one sentence at a time: the user picks which.
    const sentences = vamos.splitSentences(text);
    $("sentence").replaceChildren(
      ...sentences.map((t, i) =>
        new Option(`${i + 1}: ${t.length > 40 ? `${t.slice(0, 39)}…` : t}`, String(i))
      ),
    );
    $("sentence-label").hidden = sentences.length < 2;
    showSentence(sentences);
    fillSelect($("layer"), model.config.decoderLayers);
    fillSelect($("head"), model.config.heads);
    drawHeatmap();
  };
  $("translate-button").addEventListener("click", translate);
  $("source").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("translate-button").disabled) {
      translate();
    }
  });
  $("sentence").addEventListener("change", () => {
    showSentence();
    drawHeatmap();
  });
  $("layer").addEventListener("change", drawHeatmap);
  $("head").addEventListener("change", drawHeatmap);

  // Turning the direction loads that model (once) and translates the text again.
  const useDirection = async (direction) => {
    label(direction);
    $("translate-button").disabled = true;
    const [from, to] = direction.split("-");
    $("translate-button").textContent = `Loading the ${LANGUAGES[from]} → ${LANGUAGES[to]} model…`;
    try {
      model = await loadDirection(direction);
    } catch (e) {
      models.delete(direction); // a later turn tries again
      $("translate-button").textContent = "The model could not be loaded";
      $("translate-status").textContent = e.message;
      throw e;
    }
    // A faster turn back may have finished first: the select says which is current.
    if ($("direction").value !== direction) return;
    playground.model = model;
    playground.direction = direction;
    $("translate-button").disabled = false;
    $("translate-button").textContent = "Translate";
    translate();
  };
  $("direction").addEventListener("change", () => {
    useDirection($("direction").value).catch(() => {});
  });
  $("swap").addEventListener("click", () => {
    // ⇄: the other direction, with the translation as the text to translate.
    const out = $("translation").textContent;
    if (out) $("source").value = out;
    const select = $("direction");
    select.value = select.value === "en-es" ? "es-en" : "en-es";
    useDirection(select.value).catch(() => {});
  });

  const t0 = performance.now();
  $("direction").value = "en-es"; // not a direction a reload's form restore kept
  label("en-es");
  try {
    model = await loadDirection("en-es");
  } catch (e) {
    $("translate-button").textContent = "The model could not be loaded";
    $("translate-status").textContent = e.message;
    throw e;
  }
  playground.timings.loadMs = performance.now() - t0;
  playground.model = model;
  playground.direction = "en-es";
  playground.useDirection = useDirection;
  const iso = globalThis.crossOriginIsolated
    ? "cross-origin isolated"
    : "not cross-origin isolated";
  $("threads").textContent = `${model.threads} thread${model.threads > 1 ? "s" : ""} (${iso}).`;
  $("translate-button").disabled = false;
  $("translate-button").textContent = "Translate";
  translate();
  playground.timings.firstTranslationMs = performance.now() - t0;
  // performance.now() counts from the navigation: the time from page load to translation.
  playground.timings.sincePageLoadMs = performance.now();
}
