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
import { explain } from "./src/model/explain.ts";
import { formatExplanation } from "./src/cli/explain_text.ts";
import { type Line, LineWriter, stdinWindows } from "./src/cli/lines.ts";
import { MAX_BEAM } from "./src/model/beam.ts";
import { DEFAULT_CHANNEL_MARGIN, DEFAULT_CHANNEL_WEIGHT } from "./src/model/rerank.ts";
import { VamosError } from "./src/errors.ts";
import { detectLanguage } from "./src/text/detect.ts";
import { notTextProblem } from "./src/text/hygiene.ts";
import type { Transformer } from "./src/model/model.ts";

async function readAllLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const window of stdinWindows(Deno.stdin.readable)) {
    for (const l of window) if (l.text.trim()) lines.push(l.text);
  }
  return lines;
}

const HELP = `Usage: deno run translate.ts [options] "sentence" ["sentence" ...]
       deno run translate.ts [options] < file.txt

Translates English to Spanish (or, with --from es, Spanish to English): one line of
output per argument or input line, blank lines kept (paragraphs come out as they went
in). Lines are read and printed as they come (a pipe of any length works in bounded
memory); a line with several sentences is translated sentence by sentence, and a long
line without full stops in parts. A line that cannot be translated (binary data,
noise) prints as an empty line, with a warning naming it on stderr, and makes the exit
status 1. A translation that reaches the output limit is printed with a warning naming
its line.

Options:
  --from LANG        the language of the input: en (default), es, or auto (each line's
                     own, detected; a line already in the --to language is printed as it is)
  --to LANG          the language to translate to: es (default) or en; with --from auto,
                     the other language of each line
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
  --no-rerank        English→Spanish with the shipped model: take beam search's best as
                     it is, instead of reranking its candidates with the Spanish→English
                     model (noisy channel: fewer dropped words, about 2× the time of
                     beam search alone, which decodes over the vocabulary shortlist)
  --rerank NAME|FILE rerank with this model of the other direction instead (any model)
  --no-shortlist     score every token at each step, not only the model's vocabulary
                     shortlist (the tokens a line's words translate to and the frequent
                     ones; the shipped models have one): slower, rarely other. Reranked
                     translations always score every token
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help

Examples:
  deno run translate.ts "Where is the bathroom?"
  deno run translate.ts --from es "¿Dónde está el baño?"
  deno run translate.ts --from auto < mixed.txt
  deno run translate.ts --model statquest --explain "to go"
  deno run --allow-read translate.ts --model model.safetensors "I am hungry."`;

/**
 * The model of each line: the one --model names, the shipped model of a language pair
 * (LibreTranslate's names), or with --from auto, the shipped model from each line's
 * detected language (`null`: the line is already in the --to language).
 */
function modelChooser(
  model?: string,
  from?: string,
  to?: string,
): (line: string) => string | null {
  if (from === undefined && to === undefined) return () => model ?? "default";
  if (model !== undefined) {
    throw new UsageError("--model picks the model itself: give it or --from/--to, not both");
  }
  if (to !== undefined && to !== "en" && to !== "es") {
    throw new UsageError(`No shipped model translates to ${to}: use --to es or --to en`);
  }
  if (from === "auto") {
    return (line) => {
      const source = detectLanguage(line)[0].language;
      if (source === to) return null;
      return source === "es" ? "es-en" : "default";
    };
  }
  const source = from ?? (to === "en" ? "es" : "en");
  const target = to ?? (source === "es" ? "en" : "es");
  if (source === "en" && target === "es") return () => "default";
  if (source === "es" && target === "en") return () => "es-en";
  throw new UsageError(
    `No shipped model translates ${source} to ${target}: use --from en --to es, --from es --to en or --from auto`,
  );
}

const notText = (line: string) => {
  const problem = notTextProblem(line);
  return problem && `${problem}; not translated`;
};

async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    model: { type: "string" },
    from: { type: "string" },
    rerank: { type: "string" },
    "no-rerank": { type: "boolean", default: false },
    "no-shortlist": { type: "boolean", default: false },
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
  const chooser = modelChooser(values.model, values.from, values.to);
  // Models are opened when a line first needs them (--from auto may need one or both).
  const models = new Map<string, Transformer>();
  const open = async (name: string) => {
    let m = models.get(name);
    if (!m) {
      models.set(name, m = await openModelForCli(name, threads));
      if (values["no-shortlist"]) m.shortlist = undefined;
    }
    return m;
  };
  const beamOf = (m: Transformer) => Math.max(beamFlag ?? m.beam, nbest ?? 1);
  if (values.rerank !== undefined && values["no-rerank"]) {
    throw new UsageError("--rerank and --no-rerank contradict each other: give one");
  }
  // The shipped en→es model is reranked by the shipped es→en one unless told otherwise.
  const channelOf = (name: string) =>
    values["no-rerank"] ? undefined : values.rerank ?? (name === "default" ? "es-en" : undefined);
  const rerankFor = async (name: string, m: Transformer) => {
    const channel = channelOf(name);
    if (channel === undefined || beamOf(m) < 2) return undefined;
    const reverse = await open(channel);
    if (reverse.sourceLanguage === m.sourceLanguage) {
      throw new UsageError(
        `--rerank ${channel} translates from ${reverse.sourceLanguage}, as the model it would ` +
          "rerank does: give a model of the other direction",
      );
    }
    return {
      channel: reverse,
      weight: DEFAULT_CHANNEL_WEIGHT,
      margin: DEFAULT_CHANNEL_MARGIN,
    };
  };
  // The lines grouped by the model that translates them; null: printed as they are.
  const byModel = async <L extends { text: string }>(lines: readonly L[]) => {
    const groups = new Map<string | null, number[]>();
    lines.forEach((l, i) => {
      const name = chooser(l.text);
      groups.set(name, [...groups.get(name) ?? [], i]);
    });
    const out: [Transformer | null, number[], string | null][] = [];
    for (const [name, at] of groups) out.push([name === null ? null : await open(name), at, name]);
    return out;
  };
  // A bad model file fails before any input is read.
  const first = chooser("");
  if (first !== null && values.from !== "auto") await open(first);
  if (values.rerank !== undefined) await open(values.rerank);
  try {
    if (values.explain) {
      const sentences = positionals.length ? positionals : await readAllLines();
      for (const [i, s] of sentences.entries()) {
        if (i) console.log();
        const [[model]] = await byModel([{ text: s }]);
        if (model) console.log(formatExplanation(explain(model, s)));
        else console.log(s);
      }
      return 0;
    }
    const out = new LineWriter();
    let failures = 0;
    const what = positionals.length ? "sentence" : "line";
    const report = (index: number, message: string) => {
      console.error(`translate: ${what} ${index + 1}: ${message}`);
      failures++;
    };
    const nbestLines = async (lines: readonly Line[]) => {
      for (const line of lines) {
        if (line.problem) {
          report(line.index, line.problem);
          continue;
        }
        const [[model]] = await byModel([line]);
        if (!model) {
          out.line(`${line.index} ||| ${line.text} ||| 0.0000`);
          continue;
        }
        try {
          for (
            const h of model.translateNBest(line.text, { beam: beamOf(model), nbest, maxTokens })
          ) {
            out.line(`${line.index} ||| ${h.translation} ||| ${h.score.toFixed(4)}`);
          }
        } catch (e) {
          if (!(e instanceof VamosError)) throw e;
          report(line.index, e.message);
        }
      }
      out.flush();
    };
    const translateLines = async (lines: readonly Line[]) => {
      if (nbest) return await nbestLines(lines);
      // A line that is not text (binary, noise) is reported and printed empty, whatever
      // language it might be taken for.
      const translations = lines.map((l) => l.problem ? "" : l.text);
      const texts = lines.filter((l) => {
        // A line that stays as it is (already in the --to language) is checked here.
        const problem = l.problem ??
          (chooser(l.text) === null ? notText(l.text) : undefined);
        if (problem) report(l.index, problem);
        else return true;
        translations[lines.indexOf(l)] = "";
        return false;
      });
      for (const [model, at, name] of await byModel(texts)) {
        if (!model) continue;
        const results = model.translateEach(at.map((i) => texts[i].text), {
          maxTokens,
          beam: beamOf(model),
          rerank: await rerankFor(name!, model),
        });
        results.forEach((r, k) => {
          const line = texts[at[k]];
          if (r.error) report(line.index, r.error.message);
          else if (r.truncated) {
            // Translated, but a part reached the output limit: said, not silently shortened.
            console.error(
              `translate: ${what} ${line.index + 1}: the translation reached the output limit${
                maxTokens ? ` (--max-tokens ${maxTokens})` : ""
              } and may end early`,
            );
          }
          translations[lines.indexOf(line)] = r.error ? "" : r.translation;
        });
      }
      for (const t of translations) out.line(t);
      out.flush();
    };
    if (positionals.length) {
      await translateLines(positionals.map((text, index) => ({ text, index })));
    } else {
      for await (const window of stdinWindows(Deno.stdin.readable)) await translateLines(window);
    }
    return failures ? 1 : 0;
  } finally {
    for (const m of models.values()) m.close();
  }
}

if (import.meta.main) await runCli("translate", main);
