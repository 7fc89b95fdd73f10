/**
 * Translates English to Spanish (or Spanish to English) from the command line.
 *
 *   deno run translate.ts "let's go"                    → Vamos.
 *   deno run translate.ts --from es "tengo hambre"      → I'm hungry.
 *   deno run translate.ts --model statquest "to go"    → ir (the StatQuest model)
 *   deno run translate.ts --explain "to go"             the computation, step by step
 *   echo "to go" | deno run translate.ts         one sentence per line on stdin
 *   deno run --allow-read translate.ts --model my.safetensors "hello"
 *
 * Exit codes: 0 success, 1 failure (unknown words, bad checkpoint), 2 usage error.
 * @module
 */
import { runCli } from "./src/cli/run.ts";
import { readTranslateFlags, TRANSLATE_HELP } from "./src/cli/translate_flags.ts";
import { CliModels } from "./src/cli/translate_models.ts";
import { explainLines, LineOutput, nbestLines, translateLines } from "./src/cli/translate_lines.ts";
import { stdinWindows } from "./src/cli/lines.ts";

async function main(args: string[]): Promise<number> {
  const flags = readTranslateFlags(args);
  if (flags === "help") {
    console.log(TRANSLATE_HELP);
    return 0;
  }
  const models = new CliModels(flags);
  try {
    await models.openNamed();
    if (flags.explain) {
      await explainLines(models);
      return 0;
    }
    const o = new LineOutput(flags.sentences.length ? "sentence" : "line");
    const run = flags.nbest ? nbestLines : translateLines;
    if (flags.sentences.length) {
      await run(models, flags.sentences.map((text, index) => ({ text, index })), o);
    } else {
      for await (const window of stdinWindows(Deno.stdin.readable)) await run(models, window, o);
    }
    return o.failures ? 1 : 0;
  } finally {
    models.close();
  }
}

if (import.meta.main) await runCli("translate", main);
