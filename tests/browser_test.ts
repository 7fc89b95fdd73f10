// The package in a real browser: the playground (web/) served by web/serve.ts, opened in
// headless Chromium on a cross-origin isolated page (threads) and a plain one (one
// thread). .ci/run installs Chromium; elsewhere, without it, the test says so and is
// ignored.
import { deepEqual, equal, ok } from "node:assert/strict";
import { Browser, chromiumPath, type Page } from "./_browser.ts";
import { servePlayground } from "../web/serve.ts";
import { explain } from "../src/model/explain.ts";
import { statquestModel } from "../models/statquest.ts";

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
  // The walk-through shows the same numbers as translate.ts --explain.
  const steps = await page.evaluate<{ title: string; lines: string[] }[]>(`(() => {
    document.getElementById("toy-all").click();
    return playground.toySteps;
  })()`);
  // The page cuts the text into steps at its headings (trimmed); the numbers are the same.
  const heading = (l: string) => /^(ENCODER|DECODER)/.test(l) || /^ {2}\S/.test(l);
  const cli = explain(statquestModel(), "let's go").split("\n").filter((l) => l.trim() !== "")
    .map((l, i) => (i >= 2 && heading(l) ? l.trim() : l));
  deepEqual(steps.flatMap((s) => [s.title, ...s.lines]), cli, "walk-through vs --explain");
  const shown = await page.evaluate<string>(`document.getElementById("toy-steps").textContent`);
  ok(shown.includes("Similarity scores") && shown.includes("vamos"), "the steps are on the page");
  // Train the toy live: a loss curve, then the translations.
  const trained = await page.evaluate<{ points: number[][]; translations: string[] }>(
    `(async () => {
    document.querySelector('[data-tab="train-toy"]').click();
    document.getElementById("train-toy-button").click();
    while (!playground.trainedToy) await new Promise((r) => setTimeout(r, 50));
    return playground.trainedToy;
  })()`,
  );
  deepEqual(trained.translations, ["let's go → vamos", "to go → ir"]);
  ok(trained.points.length >= 100 && trained.points.at(-1)![1] < trained.points[0][1]);
  const svg = await page.evaluate<number>(
    `document.querySelectorAll("#train-toy-curve polyline").length`,
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
  deepEqual(page.errors, [], "console errors");
}

Deno.test({
  name: "browser: the playground on an isolated and a plain page in headless Chromium",
  ignore: !hasChromium && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ac = new AbortController();
    let base = "";
    const server = await servePlayground({ port: 0, onListen: (u) => base = u }, ac.signal);
    const browser = await Browser.launch();
    try {
      await checkPage(await browser.open(base), true);
      await checkPage(await browser.open(`${base}plain/`), false);
    } finally {
      await browser.close();
      ac.abort();
      await server.finished;
    }
  },
});
