/**
 * Translates English to Spanish from the command line.
 *
 *   deno run translate.ts "let's go"                    → Vamos.
 *   deno run translate.ts --model statquest "to go"    → ir (the textbook toy)
 *   deno run translate.ts --explain "to go"             the computation, step by step
 *   echo "to go" | deno run translate.ts         one sentence per line on stdin
 *   deno run --allow-read translate.ts --model my.safetensors "hello"
 *
 * Exit codes: 0 success, 1 failure (unknown words, bad checkpoint), 2 usage error.
 * @module
 */
import { parseArgs } from "node:util";
import {
  parseFlags,
  positiveIntegerFlag,
  readFileForCli,
  runCli,
  UsageError,
} from "./src/cli/run.ts";
import { statquestModel } from "./src/model/statquest.ts";
import { explain } from "./src/model/explain.ts";
import { loadDefaultModel } from "./models/default.ts";
import type { Transformer } from "./src/model/model.ts";
import { loadModel } from "./src/checkpoint/checkpoint.ts";
import { UnknownTokenError } from "./src/text/vocabulary.ts";

const HELP = `Usage: deno run translate.ts [options] "sentence" ["sentence" ...]
       echo "sentence" | deno run translate.ts [options]

Translates English sentences to Spanish, one line of output per sentence.

Options:
  --model NAME|FILE  "default" (the shipped English→Spanish model), "statquest" (the
                     textbook toy) or a .safetensors checkpoint written by train.ts
                     (reading a file needs --allow-read)
  --explain          show the computation step by step, with the model's numbers
  --max-tokens N     longest translation, in tokens (default: the model's limit)
  --threads N        threads for the kernels (default: every core)
  -h, --help         this help

Examples:
  deno run translate.ts "Where is the bathroom?"
  deno run translate.ts --model statquest --explain "to go"
  deno run --allow-read translate.ts --model model.safetensors "I am hungry."`;

async function readStdinLines(): Promise<string[]> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

async function openModel(name: string, threads?: number): Promise<Transformer> {
  if (name === "statquest") return statquestModel(threads);
  if (name === "default") return await loadDefaultModel({ threads });
  return await loadModel(await readFileForCli(name, "model file"), { threads });
}

async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        model: { type: "string", default: "default" },
        explain: { type: "boolean", default: false },
        "max-tokens": { type: "string" },
        threads: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    })
  );
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const maxTokens = positiveIntegerFlag(values, "max-tokens");
  const threads = positiveIntegerFlag(values, "threads");
  let sentences = positionals;
  if (sentences.length === 0) {
    if (Deno.stdin.isTerminal()) {
      throw new UsageError(
        'Nothing to translate: give a sentence, e.g. deno run translate.ts "let\'s go"',
      );
    }
    sentences = await readStdinLines();
    if (sentences.length === 0) throw new UsageError("Nothing to translate: stdin was empty");
  }
  for (const s of sentences) {
    if (s.trim() === "") throw new UsageError("Nothing to translate: a sentence is empty");
  }
  const model = await openModel(values.model!, threads);
  if (values.explain) {
    sentences.forEach((s, i) => {
      if (i) console.log();
      console.log(explain(model, s));
    });
    return 0;
  }
  const unknown = [...new Set(sentences.flatMap((s) => model.unknownWords(s)))];
  if (unknown.length) throw new UnknownTokenError(unknown, model.srcVocab.tokens);
  const ids = sentences.map((s) => model.encodeSource(s));
  const out = model.translateIds(ids, maxTokens);
  for (const t of out) console.log(model.codec.detokenize(model.tgtVocab.decode(t)));
  return 0;
}

if (import.meta.main) await runCli("translate", main);
