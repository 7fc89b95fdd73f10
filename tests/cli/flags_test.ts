// The flags every tool reads: numeric flags within bounds, parseFlags' one-line errors with a
// suggestion for a typo, and a value that starts with "-" read as the flag's value.
import { equal, throws } from "node:assert/strict";
import { UsageError } from "../../src/cli/run.ts";
import { numberFlag, parseFlags, positiveIntegerFlag } from "../../src/cli/flags.ts";

Deno.test("numbers within bounds, or a usage error that names the flag", () => {
  equal(numberFlag({ beam: "4" }, "beam", { min: 1, max: 8, integer: true }), 4);
  equal(numberFlag({}, "beam"), undefined);
  throws(
    () => numberFlag({ beam: "4.5" }, "beam", { integer: true }),
    /--beam must be .*got "4.5"/,
  );
  throws(() => numberFlag({ beam: " " }, "beam"), UsageError);
  throws(() => positiveIntegerFlag({ n: "0" }, "n"), /--n must be/);
});

Deno.test("parseFlags: typos get a suggestion; '-1' is a value", () => {
  const options = { lr: { type: "string" as const }, force: { type: "boolean" as const } };
  equal(parseFlags(["--lr", "-1"], options).values.lr, "-1");
  throws(() => parseFlags(["--focre"], options), /unknown option --focre; did you mean --force\?/);
  throws(() => parseFlags(["--zzzzzz"], options), /unknown option --zzzzzz\. Run with --help/);
});
