/**
 * translate.ts's command line: its help, its flags checked before any work, and which
 * model translates each line (--model, --from/--to, or --from auto by detection).
 * @module
 */
import { UsageError } from "./run.ts";
import { numberFlag, parseFlags, positiveIntegerFlag, threadsFlag } from "./flags.ts";
import { MAX_BEAM } from "../model/beam.ts";
import { detectLanguage } from "../text/detect.ts";

/** translate.ts --help. */
export const TRANSLATE_HELP = `Usage: deno run translate.ts [options] "sentence" ["sentence" ...]
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
                     (the StatQuest model) or a .safetensors checkpoint written by train.ts
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
                     beam search alone)
  --rerank NAME|FILE rerank with this model of the other direction instead (any model)
  --shortlist        with --no-rerank or greedy: score only the model's vocabulary
                     shortlist at each step (the tokens a line's words translate to and
                     the frequent ones; the shipped models have one), not every token:
                     faster one line at a time, a little worse (test BLEU 51.6 against
                     52.1). Reranked translations always score every token
  --no-shortlist     score every token (the default)
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help

Examples:
  deno run translate.ts "Where is the bathroom?"
  deno run translate.ts --from es "¿Dónde está el baño?"
  deno run translate.ts --from auto < mixed.txt
  deno run translate.ts --model statquest --explain "to go"
  deno run --allow-read translate.ts --model model.safetensors "I am hungry."`;

/** translate.ts's settings, checked. */
export interface TranslateFlags {
  /** The sentences given as arguments (none: read stdin). */
  sentences: string[];
  /** The model name of each line (null: the line is already in the --to language). */
  chooser: (line: string) => string | null;
  /** Whether the lines' language is detected line by line (--from auto). */
  detect: boolean;
  rerank?: string;
  noRerank: boolean;
  shortlist: boolean;
  explain: boolean;
  maxTokens?: number;
  beam?: number;
  nbest?: number;
  threads?: number;
}

/** Reads translate.ts's flags; "help" when it was asked for. */
export function readTranslateFlags(args: string[]): TranslateFlags | "help" {
  const { values, positionals } = parseFlags(args, {
    model: { type: "string" },
    from: { type: "string" },
    rerank: { type: "string" },
    "no-rerank": { type: "boolean", default: false },
    shortlist: { type: "boolean", default: false },
    "no-shortlist": { type: "boolean", default: false },
    to: { type: "string" },
    explain: { type: "boolean", default: false },
    "max-tokens": { type: "string" },
    beam: { type: "string" },
    nbest: { type: "string" },
    threads: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) return "help";
  const maxTokens = positiveIntegerFlag(values, "max-tokens");
  const nbest = numberFlag(values, "nbest", { min: 1, max: MAX_BEAM, integer: true });
  const beam = numberFlag(values, "beam", { min: 1, max: MAX_BEAM, integer: true });
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
  if (values.shortlist && values["no-shortlist"]) {
    throw new UsageError("--shortlist and --no-shortlist contradict each other: give one");
  }
  if (values.rerank !== undefined && values["no-rerank"]) {
    throw new UsageError("--rerank and --no-rerank contradict each other: give one");
  }
  return {
    sentences: positionals,
    chooser,
    detect: values.from === "auto",
    rerank: values.rerank,
    noRerank: values["no-rerank"],
    shortlist: values.shortlist,
    explain: values.explain,
    maxTokens,
    beam,
    nbest,
    threads,
  };
}

/**
 * The model of each line: the one --model names, the shipped model of a language pair
 * (LibreTranslate's names), or with --from auto, the shipped model from each line's
 * detected language (`null`: the line is already in the --to language).
 */
export function modelChooser(
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
