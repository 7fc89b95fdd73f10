// What real users hand the translator: bytes that are not UTF-8, control characters,
// runs of one symbol, noise that would send decoding running on, options out of range,
// files that are not checkpoints, typos in flags; and --explain telling the truth about
// the beam search answer it explains.
import { equal, match, ok, throws } from "node:assert/strict";
import { createModel, explain, formatExplanation, statquestModel, VamosError } from "../../mod.ts";
import { loadDefaultModel } from "../../models/default.ts";
import { cleanText } from "../../src/text/hygiene.ts";
import { outputCap } from "../../src/model/batch_translate.ts";
import { run } from "../_cli.ts";

Deno.test("translate.ts: a line that is not UTF-8 is reported by number; the others are translated", async () => {
  const bytes = new Uint8Array([
    ...new TextEncoder().encode("I am hungry.\n"),
    0xff,
    0xfe,
    0x41,
    0x0a,
    ...new TextEncoder().encode("Where is the bathroom?\n"),
  ]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "translate.ts"],
    cwd: new URL("../../", import.meta.url),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(bytes);
  await w.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout).split("\n");
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 1);
  equal(stdout.length, 4); // three lines and the final line break
  equal(stdout[0], "Tengo hambre.");
  equal(stdout[1], "");
  equal(stdout[2], "¿Dónde está el baño?");
  equal(stderr.trim(), "translate: line 2: is not UTF-8 text; not translated");
});

Deno.test("cleanText drops control characters and cuts runs of one character, not digits", () => {
  equal(cleanText("Hi\u0007 there\u0000!"), "Hi there!");
  equal(cleanText("Nooooooo!!!!!!!!"), "Nooo!!!");
  equal(cleanText("It costs 1000000."), "It costs 1000000.");
  equal(cleanText("tab\tand\nline"), "tab\tand\nline");
});

Deno.test("noise cannot send decoding running on: output is capped by the input's length", async () => {
  equal(outputCap([[1, 2, 3]], undefined), 16);
  equal(outputCap([[1, 2, 3], [1]], 5), 5);
  const model = await loadDefaultModel({ threads: 1 });
  // Printable noise (valid UTF-8): every line still gets a bounded translation.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const noise = Array.from(
    { length: 20 },
    () =>
      Array.from({ length: 60 }, () => String.fromCharCode(33 + Math.floor(random() * 94))).join(
        "",
      ),
  );
  for (const r of model.translateEach(noise, { beam: 1 })) {
    ok(!r.error, String(r.error));
    ok(r.translation.length < 2000, `${r.translation.length} characters`);
  }
  equal(model.translate("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!").length < 40, true);
  model.close();
});

Deno.test("options are checked alike in the library and the CLIs", async () => {
  const statquest = statquestModel();
  for (
    const [opts, words] of [
      [{ beam: 0 }, "beam must be an integer from 1 to 32, got 0"],
      [{ beam: 99 }, "beam must be an integer from 1 to 32, got 99"],
      [{ beam: 2.5 }, "beam must be an integer from 1 to 32, got 2.5"],
      [{ alpha: -1 }, "alpha must be a number from 0 to 10, got -1"],
      [{ maxTokens: 0 }, "maxTokens must be a positive integer, got 0"],
      [{ batchSize: Number.NaN }, "batchSize must be a positive integer, got null"],
    ] as const
  ) {
    throws(
      () => statquest.translate("let's go", opts),
      (e: Error) => e instanceof VamosError && e.message === words,
    );
  }
  throws(
    () => statquest.translateNBest("let's go", { nbest: 0 }),
    /nbest must be an integer from 1 to 32, got 0/,
  );
  throws(
    () =>
      createModel("statquest", {
        srcVocab: statquest.srcVocab,
        tgtVocab: statquest.tgtVocab,
        threads: 0,
      }),
    (e: Error) =>
      e instanceof VamosError && e.message === "threads must be an integer from 1 to 1024, got 0",
  );
  statquest.close();
  const r = await run(["run", "translate.ts", "--beam", "0", "hi"]);
  equal(r.code, 2);
  equal(r.stderr.trim(), 'translate: --beam must be an integer from 1 to 32, got "0"');
  const t = await run(["run", "translate.ts", "--threads", "0", "hi"]);
  equal(t.stderr.trim(), 'translate: --threads must be an integer from 1 to 1024, got "0"');
});

Deno.test("a file that is not safetensors is called that; a mistyped flag gets a suggestion", async () => {
  let r = await run(["run", "--allow-read", "translate.ts", "--model", "README.md", "hi"]);
  equal(r.code, 1);
  equal(
    r.stderr.trim(),
    "translate: Cannot load README.md: this is not a safetensors file (its header does not start with '{')",
  );
  // Every tool that reads a checkpoint names the file.
  for (
    const args of [
      ["quantize.ts", "--model", "README.md", "--out", "/tmp/never.safetensors"],
      ["eval.ts", "--model", "README.md", "--data", "README.md"],
      ["average.ts", "--out", "/tmp/never.safetensors", "README.md", "README.md"],
      ["export_onnx.ts", "--model", "README.md", "--out", "/tmp/never-onnx"],
    ]
  ) {
    r = await run(["run", "-A", ...args]);
    equal(r.code, 1, args.join(" "));
    ok(r.stderr.includes("Cannot load README.md: this is not a safetensors file"), r.stderr);
  }
  r = await run(["run", "translate.ts", "--modle", "x", "hi"]);
  equal(r.code, 2);
  equal(
    r.stderr.trim(),
    "translate: unknown option --modle; did you mean --model? Run with --help for usage.",
  );
  r = await run(["run", "translate.ts", "--zzzz", "hi"]);
  equal(r.stderr.trim(), "translate: unknown option --zzzz. Run with --help for usage.");
});

Deno.test("--explain walks the decoding that produced its answer", async () => {
  const model = await loadDefaultModel({ threads: 1 });
  for (const text of ["Come on.", "Let's go.", "I am hungry."]) {
    const account = formatExplanation(explain(model, text));
    const header = /^Translating "[^"]*" → "([^"]*)"/.exec(account)![1];
    match(account, /beam search, 4 hypotheses/);
    // The tokens the steps choose, joined, are the answer in the header.
    const chosen = [...account.matchAll(/^ {2}→ "([^"]*)"/gm)].map((m) => m[1]);
    equal(chosen.at(-1), "<EOS>");
    equal(model.codec.detokenize(chosen.slice(0, -1)), header, text);
    equal(header, model.translate(text), text);
  }
  model.close();
});

Deno.test("docs: the bundle size they state is the bundle's", async () => {
  const { bundlePackage } = await import("../../web/serve.ts");
  const mb = (await bundlePackage()).length / 1e6;
  const root = new URL("../../", import.meta.url);
  const pages = ["README.md", "docs/browser.md", "docs/node.md"];
  const readme = (await Promise.all(pages.map((p) => Deno.readTextFile(new URL(p, root))))).join(
    "\n",
  );
  const stated = [...readme.matchAll(/mod\.ts\s+-o vamos\.js`?\)?:?,? (\d\.\d\d) MB/g)].map((m) =>
    Number(m[1])
  );
  ok(stated.length >= 2, "the docs state the bundle's size");
  for (const s of stated) ok(Math.abs(s - mb) <= 0.02, `the docs say ${s} MB, the bundle is ${mb}`);
});
