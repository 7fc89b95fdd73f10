// Screenshots of the playground for review, at a desktop width (1280×900) and a phone's
// (390×844): each tab, and each step of the StatQuest model's walk-through at the phone's width.
//
//   deno task screenshots [DIR]        (default: screenshots/, not committed)
import { servePlayground } from "../web/serve.ts";
import { Browser } from "../tests/_browser.ts";

const dir = Deno.args[0] ?? "screenshots";
await Deno.mkdir(dir, { recursive: true });
const ac = new AbortController();
let base = "";
const server = await servePlayground({ port: 0, onListen: (u) => base = u }, ac.signal);
const browser = await Browser.launch();
let n = 0;
try {
  for (
    const [name, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", {
      width: 390,
      height: 844,
    }]] as const
  ) {
    const page = await browser.open(base, viewport);
    await page.evaluate(`playground.ready`);
    const shot = async (file: string) => {
      await Deno.writeFile(`${dir}/${name}-${file}.png`, await page.screenshot(true));
      n++;
    };
    for (const tab of ["translate", "statquest", "train-statquest", "train-data"]) {
      await page.evaluate(`document.querySelector('[data-tab="${tab}"]').click()`);
      if (tab === "train-statquest") {
        await page.evaluate(`(async () => {
          document.getElementById("train-statquest-button").click();
          while (!playground.trainedStatquest) await new Promise((r) => setTimeout(r, 50));
        })()`);
      }
      await shot(tab);
      if (tab === "statquest") {
        const steps = await page.evaluate<number>(`playground.walk.explanation.steps.length`);
        for (let i = 0; i < steps && (name === "phone" || i < 8); i++) {
          await page.evaluate(
            `(() => { const s = document.getElementById("walk-slider"); s.value = "${i}"; s.dispatchEvent(new Event("input")); })()`,
          );
          await shot(`statquest-step${String(i + 1).padStart(2, "0")}`);
        }
      }
    }
  }
  console.log(`Wrote ${n} screenshots to ${dir}/.`);
} finally {
  await browser.close();
  ac.abort();
  await server.finished;
}
