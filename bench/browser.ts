// The package in headless Chromium (the playground served by web/serve.ts): time from
// page load to the first translation, the model's load time, and sentences per second
// (64 test-like sentences per call, greedy and with the shipped beam 4) at 1 and 2 threads
// on an isolated page.
//
//   deno task bench:browser
import { SENTENCES } from "./_sentences.ts";
import { servePlayground } from "../web/serve.ts";
import { Browser } from "../tests/_browser.ts";

const ac = new AbortController();
let base = "";
const server = await servePlayground({ port: 0, onListen: (u) => base = u }, ac.signal);
const browser = await Browser.launch();
try {
  for (const [label, path] of [["isolated", ""], ["plain", "plain/"]]) {
    const loads: { sincePageLoadMs: number; loadMs: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.open(base + path);
      loads.push(await page.evaluate(`playground.ready.then(() => playground.timings)`));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `${label}: page load → first translation ${
        mean(loads.map((l) => l.sincePageLoadMs)).toFixed(0)
      } ms (model load ${mean(loads.map((l) => l.loadMs)).toFixed(0)} ms), mean of 3 loads`,
    );
    const page = await browser.open(base + path);
    await page.evaluate(`playground.ready`);
    for (const threads of label === "isolated" ? [1, 2] : [1]) {
      // Greedy decoding, and the shipped decoding (beam 4, the model's own default).
      for (const beam of [1, 4]) {
        const rate = await page.evaluate<number>(`(async () => {
          const m = await playground.vamos.loadDefaultModel({ threads: ${threads} });
          const batch = Array.from({ length: 64 }, (_, i) => ${JSON.stringify(SENTENCES)}[i % 8]);
          m.translate(batch, { beam: ${beam} }); // warm-up
          const t0 = performance.now();
          for (let r = 0; r < 3; r++) m.translate(batch, { beam: ${beam} });
          const rate = (3 * 64) / ((performance.now() - t0) / 1000);
          m.close();
          return rate;
        })()`);
        console.log(
          `${label}, ${threads} thread(s), beam ${beam}: ${
            rate.toFixed(0)
          } sentences/s (batches of 64)`,
        );
      }
    }
  }
} finally {
  await browser.close();
  ac.abort();
  await server.finished;
}
