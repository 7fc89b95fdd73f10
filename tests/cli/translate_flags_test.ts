// translate.ts's flags: the model chosen for each line (--model, --from/--to, --from
// auto by detection) and every contradiction or bad value as a usage error.
import { equal, throws } from "node:assert/strict";
import {
  modelChooser,
  readTranslateFlags,
  type TranslateFlags,
} from "../../src/cli/translate_flags.ts";
import { UsageError } from "../../src/cli/run.ts";

const read = (args: string[]) => readTranslateFlags(args) as TranslateFlags;

Deno.test("flags read into settings", () => {
  equal(readTranslateFlags(["--help"]), "help");
  const f = read(["--beam", "2", "--no-shortlist", "to go"]);
  equal(f.beam, 2);
  equal(f.shortlist, false);
  equal(read(["to go"]).shortlist, false);
  equal(read(["--shortlist", "to go"]).shortlist, true);
  throws(() => read(["--shortlist", "--no-shortlist", "to go"]), /contradict/);
  equal(f.chooser("to go"), "default");
  equal(read(["--from", "es", "hola"]).chooser("hola"), "es-en");
  equal(read(["--model", "statquest", "to go"]).chooser("x"), "statquest");
});

Deno.test("--from auto picks each line's model, or none when it is in the --to language", () => {
  const choose = modelChooser(undefined, "auto", "es");
  equal(choose("Where is the bathroom?"), "default");
  equal(choose("¿Dónde está el baño?"), null);
  equal(modelChooser(undefined, "auto", undefined)("¿Dónde está el baño?"), "es-en");
});

Deno.test("contradictions and bad values are usage errors", () => {
  const bad = (args: string[], message: RegExp) =>
    throws(
      () => readTranslateFlags(args),
      (e) => e instanceof UsageError && message.test(e.message),
    );
  bad(["--model", "default", "--from", "es", "x"], /--model picks the model itself/);
  bad(["--to", "fr", "x"], /No shipped model translates to fr/);
  bad(["--from", "fr", "x"], /No shipped model translates fr to es/);
  bad(["--rerank", "es-en", "--no-rerank", "x"], /contradict/);
  bad(["--beam", "0", "x"], /--beam must be/);
  bad(["--max-tokens", "-3", "x"], /--max-tokens must be/);
  bad(["  "], /a sentence is empty/);
  bad(["--bem", "2", "x"], /unknown option --bem; did you mean --beam\?/);
});
