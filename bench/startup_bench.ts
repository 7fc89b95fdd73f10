// deno bench: how long `deno run translate.ts "..."` takes from start to the printed
// translation, with the shipped model (a subprocess per run; needs --allow-run).
const root = new URL("../", import.meta.url);

async function translateOnce(model: string, sentence: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "translate.ts", "--model", model, sentence],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.bench("deno run translate.ts (shipped model), start to translation", {
  group: "startup",
  baseline: true,
}, async () => {
  await translateOnce("default", "Where is the bathroom?");
});
Deno.bench("deno run translate.ts --model statquest (statquest, trained at start-up)", {
  group: "startup",
}, async () => {
  await translateOnce("statquest", "let's go");
});
