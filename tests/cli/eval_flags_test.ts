// eval.ts's flags: required files, the split, and the channel options that need --rerank.
import { equal, throws } from "node:assert/strict";
import { type EvalFlags, readEvalFlags } from "../../src/cli/eval_flags.ts";

Deno.test("flags read into settings; what is missing or contradicts is a usage error", () => {
  equal(readEvalFlags(["-h"]), "help");
  const f = readEvalFlags([
    "--model",
    "m",
    "--data",
    "d",
    "--split",
    "dev",
    "--no-shortlist",
  ]) as EvalFlags;
  equal(f.split, "dev");
  equal(f.shortlist, false);
  const md = ["--model", "m", "--data", "d"];
  equal((readEvalFlags(md) as EvalFlags).shortlist, false);
  equal((readEvalFlags([...md, "--shortlist"]) as EvalFlags).shortlist, true);
  throws(() => readEvalFlags([...md, "--shortlist", "--no-shortlist"]), /contradict/);
  throws(() => readEvalFlags(["--model", "m"]), /--model and --data are required/);
  throws(
    () => readEvalFlags(["--model", "m", "--data", "d", "--split", "train"]),
    /--split must be test or dev/,
  );
  throws(
    () => readEvalFlags(["--model", "m", "--data", "d", "--channel-weight", "0.5"]),
    /need --rerank MODEL/,
  );
  throws(() => readEvalFlags(["--model", "m", "--data", "d", "--alpha", "11"]), /--alpha must be/);
});
