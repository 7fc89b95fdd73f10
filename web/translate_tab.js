// @ts-check
/// <reference lib="dom" />
// The translate tab: the shipped models in the page (English→Spanish at load, Spanish→English
// fetched the first time the user turns the direction), and the encoder-decoder attention
// as a heat-map, one sentence of a paragraph at a time.
import { html, shown, table } from "./charts.js";

/** @typedef {import("./types.d.ts").Lookup} Lookup */
/** @typedef {import("./types.d.ts").Model} Model */
/** @typedef {import("./types.d.ts").Playground} Playground */
/** @typedef {import("./types.d.ts").VamosModule} VamosModule */
/** @typedef {ReturnType<Model["attention"]>} Maps */

/**
 * The tab's state: the current model, one model per direction (each loaded once, on first
 * use), the attention maps of the sentence shown.
 * @typedef {{
 *   vamos: VamosModule, playground: Playground, $: Lookup,
 *   model?: Model, models: Map<string, Promise<Model>>, maps?: Maps
 * }} Tab
 */

const LANGUAGES = /** @type {Record<string, string>} */ ({ en: "English", es: "Spanish" });

/**
 * @param {import("./types.d.ts").Control} select
 * @param {number} n
 */
function fillSelect(select, n) {
  if (select.options.length === n) return;
  select.replaceChildren(
    ...Array.from({ length: n }, (_, i) => new Option(String(i + 1), String(i))),
  );
}

/** @param {string} direction "en-es" or "es-en" */
function languagesOf(direction) {
  const [from, to] = direction.split("-");
  return { from, to };
}

/**
 * @param {Tab} tab
 * @param {string} direction
 * @returns {Promise<Model>}
 */
function loadDirection(tab, direction) {
  let m = tab.models.get(direction);
  if (!m) tab.models.set(direction, m = tab.vamos.loadDefaultModel(languagesOf(direction)));
  return m;
}

/**
 * The page's language names for a direction.
 * @param {Lookup} $
 * @param {string} direction
 */
function label($, direction) {
  const { from, to } = languagesOf(direction);
  $("translate-title").textContent = `${LANGUAGES[from]} → ${LANGUAGES[to]}`;
  $("source-language").textContent = LANGUAGES[from];
  $("source").lang = from;
  $("translation").lang = to;
  for (const e of document.querySelectorAll(".source-language")) e.textContent = LANGUAGES[from];
  for (const e of document.querySelectorAll(".target-language")) e.textContent = LANGUAGES[to];
}

/**
 * The attention maps of the sentence the select names.
 * @param {Tab} tab
 * @param {string[]} [sentences]
 */
function showSentence(tab, sentences = tab.vamos.splitSentences(tab.$("source").value)) {
  const s = sentences[Number(tab.$("sentence").value) || 0];
  tab.maps = s && tab.model ? tab.model.attention(s) : undefined;
}

/** @param {Tab} tab */
function drawHeatmap(tab) {
  const { $, maps } = tab;
  const box = $("heatmap");
  if (!maps) return box.replaceChildren();
  const { sourceTokens, targetTokens, decoderCross, heads } = maps;
  const layer = Number($("layer").value || 0), head = Number($("head").value || 0);
  const tgtLen = targetTokens.length, srcLen = sourceTokens.length;
  const map = decoderCross[layer];
  /** @type {(i: number, j: number) => number} */
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
}

/** Translates the text box and draws its first sentence's attention. @param {Tab} tab */
function translate(tab) {
  const { $, model } = tab;
  if (!model) return;
  const text = $("source").value;
  const t0 = performance.now();
  let out;
  try {
    out = model.translate(text);
  } catch (e) {
    $("translation").textContent = "";
    $("translate-status").textContent = /** @type {Error} */ (e).message;
    return;
  }
  const ms = performance.now() - t0;
  $("translation").textContent = out;
  $("translate-status").textContent = `${ms.toFixed(0)} ms on ${model.threads} thread(s).`;
  // A paragraph's heat-map shows one sentence at a time: the user picks which.
  const sentences = tab.vamos.splitSentences(text);
  $("sentence").replaceChildren(
    ...sentences.map((t, i) =>
      new Option(`${i + 1}: ${t.length > 40 ? `${t.slice(0, 39)}…` : t}`, String(i))
    ),
  );
  $("sentence-label").hidden = sentences.length < 2;
  showSentence(tab, sentences);
  fillSelect($("layer"), model.config.decoderLayers);
  fillSelect($("head"), model.config.heads);
  drawHeatmap(tab);
}

/**
 * Turning the direction loads that model (once) and translates the text again.
 * @param {Tab} tab
 * @param {string} direction
 */
async function useDirection(tab, direction) {
  const { $, playground } = tab;
  label($, direction);
  $("translate-button").disabled = true;
  const { from, to } = languagesOf(direction);
  $("translate-button").textContent = `Loading the ${LANGUAGES[from]} → ${LANGUAGES[to]} model…`;
  let model;
  try {
    model = await loadDirection(tab, direction);
  } catch (e) {
    tab.models.delete(direction); // a later turn tries again
    $("translate-button").textContent = "The model could not be loaded";
    $("translate-status").textContent = /** @type {Error} */ (e).message;
    throw e;
  }
  // A faster turn back may have finished first: the select says which is current.
  if ($("direction").value !== direction) return;
  tab.model = model;
  playground.model = model;
  playground.direction = direction;
  $("translate-button").disabled = false;
  $("translate-button").textContent = "Translate";
  translate(tab);
}

/** The tab's buttons, keys and selects. @param {Tab} tab */
function wire(tab) {
  const { $ } = tab;
  $("translate-button").addEventListener("click", () => translate(tab));
  $("source").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("translate-button").disabled) {
      translate(tab);
    }
  });
  $("sentence").addEventListener("change", () => {
    showSentence(tab);
    drawHeatmap(tab);
  });
  $("layer").addEventListener("change", () => drawHeatmap(tab));
  $("head").addEventListener("change", () => drawHeatmap(tab));
  $("direction").addEventListener("change", () => {
    useDirection(tab, $("direction").value).catch(() => {});
  });
  $("swap").addEventListener("click", () => {
    // ⇄: the other direction, with the translation as the text to translate.
    const out = $("translation").textContent;
    if (out) $("source").value = out;
    const select = $("direction");
    select.value = select.value === "en-es" ? "es-en" : "en-es";
    useDirection(tab, select.value).catch(() => {});
  });
}

/**
 * Loads the shipped model and wires the tab; resolves once the first translation shows.
 * @param {{ vamos: VamosModule, playground: Playground, $: Lookup }} page
 */
export async function setupTranslate({ vamos, playground, $ }) {
  /** @type {Tab} */
  const tab = { vamos, playground, $, models: new Map() };
  wire(tab);
  const t0 = performance.now();
  $("direction").value = "en-es"; // not a direction a reload's form restore kept
  label($, "en-es");
  let model;
  try {
    model = await loadDirection(tab, "en-es");
  } catch (e) {
    $("translate-button").textContent = "The model could not be loaded";
    $("translate-status").textContent = /** @type {Error} */ (e).message;
    throw e;
  }
  tab.model = model;
  playground.timings.loadMs = performance.now() - t0;
  playground.model = model;
  playground.direction = "en-es";
  playground.useDirection = (direction) => useDirection(tab, direction);
  const iso = globalThis.crossOriginIsolated
    ? "cross-origin isolated"
    : "not cross-origin isolated";
  $("threads").textContent = `${model.threads} thread${model.threads > 1 ? "s" : ""} (${iso}).`;
  $("translate-button").disabled = false;
  $("translate-button").textContent = "Translate";
  translate(tab);
  playground.timings.firstTranslationMs = performance.now() - t0;
  // performance.now() counts from the navigation: the time from page load to translation.
  playground.timings.sincePageLoadMs = performance.now();
}
