/**
 * What translate.ts does with its lines: translate them (each line's problem reported on
 * stderr and printed as an empty line), print their n-best lists, or explain them.
 * @module
 */
import { type Line, LineWriter, stdinWindows } from "./lines.ts";
import type { CliModels } from "./translate_models.ts";
import { explain } from "../model/explain.ts";
import { formatExplanation } from "./explain_text.ts";
import { VamosError } from "../errors.ts";
import { notTextProblem } from "../text/hygiene.ts";

/** Where the lines' output goes, and the count of lines that failed. */
export class LineOutput {
  readonly out = new LineWriter();
  failures = 0;

  /** `what` names the lines in messages: "sentence" (arguments) or "line" (stdin). */
  constructor(readonly what: "sentence" | "line") {}

  /** Reports line `index`'s problem on stderr; it counts as a failure. */
  report(index: number, message: string): void {
    console.error(`translate: ${this.what} ${index + 1}: ${message}`);
    this.failures++;
  }
}

const notText = (line: string) => {
  const problem = notTextProblem(line);
  return problem && `${problem}; not translated`;
};

/** Translates `lines`, printing one line each, in order. */
export async function translateLines(
  models: CliModels,
  lines: readonly Line[],
  o: LineOutput,
): Promise<void> {
  const { maxTokens } = models.flags;
  // A line that is not text (binary, noise) is reported and printed empty, whatever
  // language it might be taken for.
  const translations = lines.map((l) => l.problem ? "" : l.text);
  const texts = lines.filter((l) => {
    // A line that stays as it is (already in the --to language) is checked here.
    const problem = l.problem ??
      (models.flags.chooser(l.text) === null ? notText(l.text) : undefined);
    if (problem) o.report(l.index, problem);
    else return true;
    translations[lines.indexOf(l)] = "";
    return false;
  });
  for (const { model, at, name } of await models.byModel(texts)) {
    if (!model) continue;
    const results = model.translateEach(at.map((i) => texts[i].text), {
      maxTokens,
      beam: models.beamOf(model),
      rerank: await models.rerankFor(name!, model),
    });
    results.forEach((r, k) => {
      const line = texts[at[k]];
      if (r.error) o.report(line.index, r.error.message);
      else if (r.truncated) {
        // Translated, but a part reached the output limit: said, not silently shortened.
        console.error(
          `translate: ${o.what} ${line.index + 1}: the translation reached the output limit${
            maxTokens ? ` (--max-tokens ${maxTokens})` : ""
          } and may end early`,
        );
      }
      translations[lines.indexOf(line)] = r.error ? "" : r.translation;
    });
  }
  for (const t of translations) o.out.line(t);
  o.out.flush();
}

/** Prints the n-best translations of `lines` as "LINE ||| translation ||| score". */
export async function nbestLines(
  models: CliModels,
  lines: readonly Line[],
  o: LineOutput,
): Promise<void> {
  const { nbest, maxTokens } = models.flags;
  for (const line of lines) {
    if (line.problem) {
      o.report(line.index, line.problem);
      continue;
    }
    const [{ model }] = await models.byModel([line]);
    if (!model) {
      o.out.line(`${line.index} ||| ${line.text} ||| 0.0000`);
      continue;
    }
    try {
      const beam = models.beamOf(model);
      for (const h of model.translateNBest(line.text, { beam, nbest, maxTokens })) {
        o.out.line(`${line.index} ||| ${h.translation} ||| ${h.score.toFixed(4)}`);
      }
    } catch (e) {
      if (!(e instanceof VamosError)) throw e;
      o.report(line.index, e.message);
    }
  }
  o.out.flush();
}

/** Prints the computation of each sentence (the arguments, or stdin's non-blank lines). */
export async function explainLines(models: CliModels): Promise<void> {
  const sentences = models.flags.sentences.length ? models.flags.sentences : await readAllLines();
  for (const [i, s] of sentences.entries()) {
    if (i) console.log();
    const [{ model }] = await models.byModel([{ text: s }]);
    if (model) console.log(formatExplanation(explain(model, s)));
    else console.log(s);
  }
}

async function readAllLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const window of stdinWindows(Deno.stdin.readable)) {
    for (const l of window) if (l.text.trim()) lines.push(l.text);
  }
  return lines;
}
