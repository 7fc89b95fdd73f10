// The package in a real browser: the playground (web/) served by web/serve.ts, opened in
// headless Chromium on a cross-origin isolated page (threads) and a plain one (one
// thread). .ci/run installs Chromium; elsewhere, without it, the test says so and is
// ignored.
import { deepEqual, equal, ok } from "node:assert/strict";
import { Browser, chromiumPath, type Page } from "../_browser.ts";
import { servePlayground } from "../../web/serve.ts";
import { explain, percentages } from "../../src/model/explain.ts";
import { statquestModel } from "../../models/statquest.ts";

const hasChromium = chromiumPath() !== undefined;
const inCi = Deno.env.get("CI") === "true";
if (!hasChromium && !inCi) {
  console.warn("browser_test: no Chromium here; ignored (CI installs it).");
}

const SENTENCES = [
  "I am hungry.",
  "Where is the bathroom?",
  "let's go",
  "Tom is proud of his son.",
];
const EXPECTED = [
  "Tengo hambre.",
  "¿Dónde está el baño?",
  "Vamos.",
  "Tom está orgulloso de su hijo.",
];

// In the page: pairs of text boxes of one chart that intersect (labels drawn over labels),
// for every chart shown.
const OVERLAPS = `(() => {
  const found = [];
  for (const chart of document.querySelectorAll("svg")) {
    if (!chart.getClientRects().length) continue;
    const boxes = [...chart.querySelectorAll("text")].map((t) => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, p] = boxes[i], [b, q] = boxes[j];
        if (p.left + 0.5 < q.right && q.left + 0.5 < p.right && p.top + 0.5 < q.bottom && q.top + 0.5 < p.bottom) {
          found.push(a + " / " + b);
        }
      }
    }
  }
  return found;
})()`;

// In the page: whether it scrolls sideways, or clips text at the right edge (text outside a
// box that scrolls on its own).
const SIDEWAYS = `(document.documentElement.scrollWidth > document.documentElement.clientWidth ||
  [...document.querySelectorAll("p, figcaption, caption, h1, h2, h3, label, li, button")].some((el) =>
    el.getClientRects().length && (!el.closest(".scroll") || el.tagName === "CAPTION") &&
    el.getBoundingClientRect().right > document.documentElement.clientWidth + 1))`;

interface ShownStep {
  idea: string;
  title: string;
  caption: string;
  pictures: number;
  cells: string[][];
  values: string[];
  overlaps: string[];
  sideways: boolean;
}

/** Every step of the walk-through shown in turn (by the slider), as the page draws it. */
async function walkSteps(page: Page): Promise<ShownStep[]> {
  return await page.evaluate<ShownStep[]>(`(() => {
    document.querySelector('[data-tab="statquest"]').click();
    const n = playground.walk.explanation.steps.length;
    const slider = document.getElementById("walk-slider");
    const out = [];
    for (let i = 0; i < n; i++) {
      slider.value = String(i);
      slider.dispatchEvent(new Event("input"));
      const fig = document.getElementById("walk-figure");
      out.push({
        idea: fig.dataset.idea,
        title: document.getElementById("walk-title").textContent,
        caption: document.getElementById("walk-caption").textContent,
        pictures: fig.querySelectorAll("svg, table").length,
        cells: [...fig.querySelectorAll("table.heat tbody tr")].map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent)),
        values: [...fig.querySelectorAll("svg text.value")].map((t) => t.textContent),
        overlaps: ${OVERLAPS},
        sideways: ${SIDEWAYS},
      });
    }
    return out;
  })()`);
}

/**
 * The walk-through: one picture per step in the video's order, drawn from explain()'s data;
 * the softmax percentages shown are those of the model's own attention maps; no chart's
 * labels overlap.
 */
async function checkWalkthrough(page: Page) {
  const statquest = statquestModel();
  const e = explain(statquest, "let's go");
  const maps = statquest.attention("let's go");
  const shown = await walkSteps(page);
  deepEqual(shown.map((s) => s.idea), e.steps.map((s) => s.idea));
  deepEqual(shown.map((s) => s.caption), e.steps.map((s) => s.caption));
  deepEqual(shown.slice(0, 6).map((s) => s.idea), [
    "embedding",
    "positions",
    "embedding+positions",
    "queries-keys-values",
    "scores",
    "softmax",
  ]);
  for (const s of shown) {
    ok(s.pictures >= 1, `step "${s.title}" has no picture`);
    deepEqual(s.overlaps, [], `labels overlap in "${s.title}"`);
  }
  ok(
    shown.filter((s) => s.idea === "embedding" || s.idea === "positions").every((s) =>
      s.pictures >= 2
    ),
  );
  // Softmax percentages: the model's attention maps (one head), row by row.
  const S = e.source.length, T = e.target.length;
  const rows = (map: Float32Array, n: number, cols: number) =>
    Array.from({ length: n }, (_, i) => percentages(map.subarray(i * cols, (i + 1) * cols)));
  deepEqual(shown.find((s) => s.idea === "softmax")!.cells, rows(maps.encoderSelf[0], S, S));
  const cross = rows(maps.decoderCross[0], T, S);
  deepEqual(
    shown.filter((s) => s.idea === "encoder-decoder-attention").map((s) => s.values),
    cross,
  );
  const self = maps.decoderSelf[0];
  deepEqual(
    shown.filter((s) => s.idea === "masked-self-attention").map((s) => s.values),
    Array.from({ length: T }, (_, t) => percentages(self.subarray(t * T, t * T + t + 1))),
  );
  // The last step ends the translation.
  ok(shown.at(-1)!.title.includes("<EOS>"));
  // The same view for the real model: every step drawn, summarised.
  const big = await page.evaluate<{ steps: number; ideas: string[] }>(`(async () => {
    await playground.ready;
    const m = document.getElementById("walk-model");
    m.value = "translator";
    m.dispatchEvent(new Event("change"));
    return { steps: playground.walk.explanation.steps.length, ideas: playground.walk.explanation.steps.map((s) => s.idea) };
  })()`);
  ok(big.steps > 20 && big.ideas.includes("encoder-decoder-attention"), JSON.stringify(big));
  const bigShown = await walkSteps(page);
  for (const s of bigShown) {
    ok(s.pictures >= 1, `translator step "${s.title}" has no picture`);
    deepEqual(s.overlaps, [], `labels overlap in the translator's "${s.title}"`);
  }
  await page.evaluate(`(() => {
    const m = document.getElementById("walk-model");
    m.value = "statquest";
    m.dispatchEvent(new Event("change"));
  })()`);
}

async function checkPage(page: Page, isolated: boolean) {
  const r = await page.evaluate<
    { out: string; threads: number; iso: boolean; jobs: number }
  >(`(async () => {
    await playground.ready;
    return {
      out: document.getElementById("translation").textContent,
      threads: playground.model.threads,
      iso: crossOriginIsolated,
      jobs: playground.model.core.rt.workerJobs,
    };
  })()`);
  // The README's quick-start sentence, translated at load.
  equal(r.out, "¿Dónde está el baño?");
  equal(r.iso, isolated);
  if (isolated) {
    ok(r.threads >= 2, `${r.threads} threads on the isolated page`);
    ok(r.jobs > 0, "no kernel job ran on a worker");
  } else equal(r.threads, 1);
  // 64 sentences in one call.
  const many = await page.evaluate<string[]>(
    `playground.model.translate(Array.from({ length: 64 }, (_, i) => ${
      JSON.stringify(SENTENCES)
    }[i % 4]))`,
  );
  equal(many.length, 64);
  deepEqual(many.slice(0, 8), [...EXPECTED, ...EXPECTED]);
  await checkWalkthrough(page);
  // Train the StatQuest model live: a loss curve, then the translations.
  const trained = await page.evaluate<{ points: number[][]; translations: string[] }>(
    `(async () => {
    document.querySelector('[data-tab="train-statquest"]').click();
    document.getElementById("train-statquest-button").click();
    while (!playground.trainedStatquest) await new Promise((r) => setTimeout(r, 50));
    return playground.trainedStatquest;
  })()`,
  );
  deepEqual(trained.translations, ["let's go → vamos", "to go → ir"]);
  ok(trained.points.length >= 100 && trained.points.at(-1)![1] < trained.points[0][1]);
  const svg = await page.evaluate<number>(
    `document.querySelectorAll("#train-statquest-curve polyline").length`,
  );
  equal(svg, 1);
  // The tabs are WAI-ARIA tabs: a tablist of tabs, each controlling a tabpanel.
  const aria = await page.evaluate<
    { tabs: number; panels: number; selected: number; list: number }
  >(
    `({
      list: document.querySelectorAll('[role="tablist"]').length,
      tabs: [...document.querySelectorAll('[role="tab"]')]
        .filter((t) => document.getElementById(t.getAttribute("aria-controls"))?.getAttribute("role") === "tabpanel").length,
      panels: document.querySelectorAll('[role="tabpanel"]').length,
      selected: document.querySelectorAll('[role="tab"][aria-selected="true"][tabindex="0"]').length,
    })`,
  );
  deepEqual(aria, { list: 1, tabs: 4, panels: 4, selected: 1 });
  // A paragraph: its heat-map shows the sentence the user picks.
  const picked = await page.evaluate<{ options: number; first: string; second: string }>(
    `(async () => {
    document.getElementById("source").value = "I am hungry. Where is the bathroom?";
    document.getElementById("translate-button").click();
    const head = () => document.querySelector("#heatmap table").innerText.split("\\n")[0];
    const first = head();
    const pick = document.getElementById("sentence");
    pick.value = "1";
    pick.dispatchEvent(new Event("change"));
    return { options: pick.options.length, first, second: head() };
  })()`,
  );
  equal(picked.options, 2);
  ok(picked.first.includes("hungry") && picked.second.includes("bathroom"), JSON.stringify(picked));
  // Train a small model on the prefilled pairs with the tab's own settings, in a worker;
  // download; translate with it: it has learned its examples.
  const data = await page.evaluate<
    { step: number; bytes: number; threads: number; tried: string }
  >(`(async () => {
    document.querySelector('[data-tab="train-data"]').click();
    document.getElementById("train-data-button").click();
    while (!playground.trainedData) await new Promise((r) => setTimeout(r, 50));
    document.getElementById("try-button").click();
    while (playground.tried === undefined) await new Promise((r) => setTimeout(r, 50));
    return { ...playground.trainedData, tried: playground.tried };
  })()`);
  equal(data.step, 100);
  equal(data.tried, "Tengo hambre.");
  ok(data.bytes > 100_000);
  // Inside a dedicated worker, threads work too (and never hang).
  if (isolated) ok(data.threads >= 2, `${data.threads} threads in the training worker`);
  const link = await page.evaluate<{ hidden: boolean; href: string }>(
    `(() => { const a = document.getElementById("download"); return { hidden: a.hidden, href: a.href }; })()`,
  );
  equal(link.hidden, false);
  ok(link.href.startsWith("blob:"));
  await checkDirections(page);
  deepEqual(page.errors, [], "console errors");
}

/** The Translate tab's direction: es→en fetched only when turned to, ⇄, a heat-map both ways. */
async function checkDirections(page: Page) {
  const fetched = `performance.getEntriesByType("resource").map((e) => e.name)
    .filter((n) => n.endsWith("_weights.wasm")).map((n) => n.split("/").pop())`;
  // A page that has only translated English→Spanish has not downloaded the other model.
  deepEqual(await page.evaluate<string[]>(fetched), ["default_weights.wasm"]);
  const r = await page.evaluate<
    { out: string; title: string; lang: string; head: string; rows: number; weights: string[] }
  >(`(async () => {
    document.querySelector('[data-tab="translate"]').click();
    document.getElementById("source").value = "¿Dónde está el baño?";
    const select = document.getElementById("direction");
    select.value = "es-en";
    select.dispatchEvent(new Event("change"));
    while (playground.direction !== "es-en") await new Promise((r) => setTimeout(r, 50));
    const table = document.querySelector("#heatmap table");
    return {
      out: document.getElementById("translation").textContent,
      title: document.getElementById("translate-title").textContent,
      lang: document.getElementById("translation").lang,
      head: table.innerText.split("\\n")[0],
      rows: table.rows.length,
      weights: ${fetched},
    };
  })()`);
  equal(r.out, "Where is the bathroom?");
  equal(r.title, "Spanish → English");
  equal(r.lang, "en");
  ok(r.head.includes("baño") && r.rows > 3, JSON.stringify(r));
  deepEqual(r.weights, ["default_weights.wasm", "es_en_weights.wasm"]);
  // ⇄: the translation becomes the text, and the other model (already loaded) translates it.
  const back = await page.evaluate<{ source: string; out: string; title: string }>(`(async () => {
    document.getElementById("swap").click();
    while (playground.direction !== "en-es") await new Promise((r) => setTimeout(r, 50));
    return {
      source: document.getElementById("source").value,
      out: document.getElementById("translation").textContent,
      title: document.getElementById("translate-title").textContent,
    };
  })()`);
  deepEqual(back, {
    source: "Where is the bathroom?",
    out: "¿Dónde está el baño?",
    title: "English → Spanish",
  });
  equal((await page.evaluate<string[]>(fetched)).length, 2, "a model fetched twice");
}

/** Serves the playground, opens Chromium, runs `fn` with both, and stops them. */
async function withPlayground(fn: (browser: Browser, base: string) => Promise<void>) {
  const ac = new AbortController();
  let base = "";
  const server = await servePlayground({ port: 0, onListen: (u) => base = u }, ac.signal);
  const browser = await Browser.launch();
  try {
    await fn(browser, base);
  } finally {
    await browser.close();
    ac.abort();
    await server.finished;
  }
}

Deno.test({
  name:
    "browser: at a phone's width (390 px) no tab and no step of the walk-through scrolls sideways",
  ignore: !hasChromium && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withPlayground(async (browser, base) => {
      const page = await browser.open(base, { width: 390, height: 844 });
      await page.evaluate(`playground.ready`);
      equal(await page.evaluate<number>(`innerWidth`), 390);
      for (const tab of ["translate", "statquest", "train-statquest", "train-data"]) {
        const r = await page.evaluate<{ sideways: boolean; overlaps: string[] }>(`(() => {
          document.querySelector('[data-tab="${tab}"]').click();
          return { sideways: ${SIDEWAYS}, overlaps: ${OVERLAPS} };
        })()`);
        deepEqual(r, { sideways: false, overlaps: [] }, tab);
      }
      for (const s of await walkSteps(page)) {
        equal(s.sideways, false, `"${s.title}" scrolls sideways at 390 px`);
        deepEqual(s.overlaps, [], `labels overlap in "${s.title}" at 390 px`);
      }
      // The loss chart of the StatQuest model trained live: axes with numbers, labels apart.
      const chart = await page.evaluate<{ ticks: number; overlaps: string[]; sideways: boolean }>(
        `(async () => {
          document.querySelector('[data-tab="train-statquest"]').click();
          document.getElementById("train-statquest-button").click();
          while (!playground.trainedStatquest) await new Promise((r) => setTimeout(r, 50));
          return {
            ticks: document.querySelectorAll("#train-statquest-curve svg text.tick").length,
            overlaps: ${OVERLAPS},
            sideways: ${SIDEWAYS},
          };
        })()`,
      );
      ok(chart.ticks >= 6, `${chart.ticks} tick labels on the loss chart`);
      deepEqual([chart.overlaps, chart.sideways], [[], false]);
      deepEqual(page.errors, [], "console errors");
    }),
});

Deno.test({
  name: "browser: the playground on an isolated and a plain page in headless Chromium",
  ignore: !hasChromium && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withPlayground(async (browser, base) => {
      await checkPage(await browser.open(base), true);
      await checkPage(await browser.open(`${base}plain/`), false);
    }),
});
