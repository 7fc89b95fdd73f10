/**
 * Translates English to Spanish (or Spanish to English) from the command line.
 *
 *   deno run translate.ts "let's go"                    → Vamos.
 *   deno run translate.ts --from es "tengo hambre"      → I'm hungry.
 *   deno run translate.ts --model statquest "to go"    → ir (the textbook toy)
 *   deno run translate.ts --explain "to go"             the computation, step by step
 *   echo "to go" | deno run translate.ts         one sentence per line on stdin
 *   deno run --allow-read translate.ts --model my.safetensors "hello"
 *
 * Exit codes: 0 success, 1 failure (unknown words, bad checkpoint), 2 usage error.
 * @module
 */
import {
  numberFlag,
  parseFlags,
  positiveIntegerFlag,
  runCli,
  threadsFlag,
  UsageError,
} from "./src/cli/run.ts";
import { openModelForCli } from "./src/cli/models.ts";
import { explain, formatExplanation } from "./src/model/explain.ts";
import { type Line, LineWriter, stdinWindows } from "./src/cli/lines.ts";
import { MAX_BEAM } from "./src/model/beam.ts";
import { VamosError } from "./src/errors.ts";

async function readAllLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const window of stdinWindows(Deno.stdin.readable)) {
    for (const l of window) if (l.text.trim()) lines.push(l.text);
  }
  return lines;
}

const HELP = `Usage: deno run translate.ts [options] "sentence" ["sentence" ...]
       deno run translate.ts [options] < file.txt

Translates English to Spanish (or, with --from es, Spanish to English): one line of output per argument or input line, blank
lines kept (paragraphs come out as they went in). Lines are read and printed as they
come (a pipe of any length works in bounded memory); a line with several sentences is
translated sentence by sentence, and a long line without full stops in parts. A line
that cannot be translated (binary data, noise) prints as an empty line, with a warning
naming it on stderr, and makes the exit status 1. A translation that reaches the output
limit is printed with a warning naming its line.

Options:
  --from LANG        the language of the input: en (default) or es
  --to LANG          the language to translate to: es (default) or en
  --model NAME|FILE  instead of --from/--to: "default" (the shipped English→Spanish
                     model), "es-en" (the shipped Spanish→English one), "statquest"
                     (the textbook toy) or a .safetensors checkpoint written by train.ts
                     (reading a file needs --allow-read)
  --explain          show the computation step by step, with the model's numbers
  --max-tokens N     longest translation, in tokens (default: the model's limit)
  --beam N           beam search with N hypotheses per sentence; 1 is greedy decoding
                     (default: the model's, 4 for the shipped model, otherwise 1)
  --nbest N          print the N best translations of each line, as
                     "LINE ||| translation ||| score" (Marian's n-best format; beam ≥ N)
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help

Examples:
  deno run translate.ts "Where is the bathroom?"
  deno run translate.ts --from es "¿Dónde está el baño?"
  deno run translate.ts --model statquest --explain "to go"
  deno run --allow-read translate.ts --model model.safetensors "I am hungry."`;

/** The shipped model of a language pair (LibreTranslate's names), or the one --model names. */
function modelFor(model?: string, from?: string, to?: string): string {
  if (from === undefined && to === undefined) return model ?? "default";
  if (model !== undefined) {
    throw new UsageError("--model picks the model itself: give it or --from/--to, not both");
  }
  const source = from ?? (to === "en" ? "es" : "en");
  const target = to ?? (source === "es" ? "en" : "es");
  if (source === "en" && target === "es") return "default";
  if (source === "es" && target === "en") return "es-en";
  throw new UsageError(
    `No shipped model translates ${source} to ${target}: use --from en --to es or --from es --to en`,
  );
}

async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    model: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    explain: { type: "boolean", default: false },
    "max-tokens": { type: "string" },
    beam: { type: "string" },
    nbest: { type: "string" },
    threads: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const maxTokens = positiveIntegerFlag(values, "max-tokens");
  const nbest = numberFlag(values, "nbest", { min: 1, max: MAX_BEAM, integer: true });
  const beamFlag = numberFlag(values, "beam", { min: 1, max: MAX_BEAM, integer: true });
  const threads = threadsFlag(values, "translate");
  if (positionals.length === 0 && Deno.stdin.isTerminal()) {
    throw new UsageError(
      'Nothing to translate: give a sentence, e.g. deno run translate.ts "let\'s go"',
    );
  }
  for (const s of positionals) {
    if (s.trim() === "") throw new UsageError("Nothing to translate: a sentence is empty");
  }
  const model = await openModelForCli(modelFor(values.model, values.from, values.to), threads);
  const beam = Math.max(beamFlag ?? model.beam, nbest ?? 1);
  try {
    if (values.explain) {
      const sentences = positionals.length ? positionals : await readAllLines();
      sentences.forEach((s, i) => {
        if (i) console.log();
        console.log(formatExplanation(explain(model, s)));
      });
      return 0;
    }
    const out = new LineWriter();
    let failures = 0;
    const what = positionals.length ? "sentence" : "line";
    const report = (index: number, message: string) => {
      console.error(`translate: ${what} ${index + 1}: ${message}`);
      failures++;
    };
    const nbestLines = (lines: readonly Line[]) => {
      for (const line of lines) {
        if (line.problem) {
          report(line.index, line.problem);
          continue;
        }
        try {
          for (const h of model.translateNBest(line.text, { beam, nbest, maxTokens })) {
            out.line(`${line.index} ||| ${h.translation} ||| ${h.score.toFixed(4)}`);
          }
        } catch (e) {
          if (!(e instanceof VamosError)) throw e;
          report(line.index, e.message);
        }
      }
      out.flush();
    };
    const translateLines = (lines: readonly Line[]) => {
      if (nbest) return nbestLines(lines);
      const results = model.translateEach(lines.map((l) => l.text), { maxTokens, beam });
      results.forEach((r, i) => {
        if (lines[i].problem) report(lines[i].index, lines[i].problem!);
        else if (r.error) report(lines[i].index, r.error.message);
        else if (r.truncated) {
          // Translated, but a part reached the output limit: said, not silently shortened.
          console.error(
            `translate: ${what} ${lines[i].index + 1}: the translation reached the output limit${
              maxTokens ? ` (--max-tokens ${maxTokens})` : ""
            } and may end early`,
          );
        }
        out.line(r.error ? "" : r.translation);
      });
      out.flush();
    };
    if (positionals.length) translateLines(positionals.map((text, index) => ({ text, index })));
    else {
      for await (const window of stdinWindows(Deno.stdin.readable)) translateLines(window);
    }
    return failures ? 1 : 0;
  } finally {
    model.close();
  }
}

if (import.meta.main) await runCli("translate", main);
