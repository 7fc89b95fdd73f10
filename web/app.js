// @ts-check
/// <reference lib="dom" />
// The playground: plain JavaScript modules over the bundled package (vamos.js, made by
// web/serve.ts from mod.ts), one module per tab, no build step. `window.playground`
// exposes what the page computed, for the browser tests and for anyone curious.
// @ts-types="../mod.ts"
import * as vamos from "./vamos.js";
import { setupTranslate } from "./translate_tab.js";
import { setupWalkthrough } from "./walkthrough.js";
import { setupTrainData, setupTrainStatquest } from "./train_tabs.js";

/** @type {import("./types.d.ts").Lookup} */
const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}`);
  return /** @type {import("./types.d.ts").Control} */ (el);
};
/** @type {import("./types.d.ts").Playground} */
const playground = { vamos, timings: {} };
/** @type {{ playground?: unknown }} */ (globalThis).playground = playground;

// Tabs (WAI-ARIA): the selected tab is the one in the Tab order; arrow keys move.
const tabs = /** @type {HTMLElement[]} */ ([...document.querySelectorAll("nav [data-tab]")]);
/** @param {string} name */
function showTab(name) {
  for (const t of tabs) {
    const on = t.dataset.tab === name;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.dataset.tab ?? "").hidden = !on;
  }
}
showTab("translate");
tabs.forEach((t, i) => {
  t.addEventListener("click", () => showTab(t.dataset.tab ?? ""));
  t.addEventListener("keydown", (e) => {
    const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!d) return;
    const next = tabs[(i + d + tabs.length) % tabs.length];
    next.focus();
    showTab(next.dataset.tab ?? "");
  });
});

// The weights download while the StatQuest model's walk-through is drawn.
const translatorLoaded = setupTranslate({ vamos, playground, $ });
const statquest = vamos.statquestModel();
playground.statquest = statquest;
const walk = setupWalkthrough({
  vamos,
  statquest,
  translator: () => playground.model,
  playground,
  $,
});
playground.ready = translatorLoaded.then(() => walk.translatorReady());
setupTrainStatquest({ vamos, playground, $ });
setupTrainData({ playground, $ });
