// deno task bench:verbatim — the share of bench/verbatim_sentences.ts whose spans (URLs,
// e-mail addresses, numbers, emoji, code, names) all come back exactly in the translation.
//
//   deno run -A bench/verbatim.ts [--model FILE|default] [--verbatim on|off] [--show N]
import { parseArgs } from "node:util";
import { loadModel } from "../mod.ts";
import { defaultModelBytes } from "../models/default.ts";
import { verbatimCases } from "./verbatim_sentences.ts";

const { values: v } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "default" },
    verbatim: { type: "string" },
    show: { type: "string", default: "0" },
  },
});
const bytes = v.model === "default" ? await defaultModelBytes() : await Deno.readFile(v.model!);
const model = await loadModel(bytes);
if (v.verbatim) model.verbatim = v.verbatim === "on";
const cases = verbatimCases();
const out = model.translate(cases.map((c) => c.text));
let kept = 0, spansKept = 0, spans = 0;
const failures: string[] = [];
cases.forEach((c, i) => {
  const ok = c.spans.filter((s) => out[i].includes(s)).length;
  spans += c.spans.length;
  spansKept += ok;
  if (ok === c.spans.length) kept++;
  else failures.push(`${c.text} → ${out[i]}`);
});
console.log(
  `${v.model} (verbatim ${model.verbatim ? "on" : "off"}): ${kept} of ${cases.length} sentences ` +
    `(${(100 * kept / cases.length).toFixed(1)}%) keep every span; ${spansKept} of ${spans} spans`,
);
for (const f of failures.slice(0, Number(v.show))) console.log(`  ${f}`);
model.close();
