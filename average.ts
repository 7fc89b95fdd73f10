/**
 * Averages the weights of several checkpoints of one run (as the paper does with its
 * last checkpoints) into a new checkpoint.
 *
 *   deno run -A average.ts --out averaged.safetensors run.step3000.safetensors run.step3500.safetensors ...
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { runCli, UsageError } from "./src/cli/run.ts";
import { parseFlags } from "./src/cli/flags.ts";
import { modelBytesForCli } from "./src/cli/models.ts";
import { checkOutputPath, writeAtomic } from "./src/cli/output_files.ts";
import { averageCheckpoints } from "./src/checkpoint/average.ts";

const HELP = `Usage: deno run -A average.ts --out FILE CHECKPOINT CHECKPOINT [...]

Writes the element-wise mean of the checkpoints' weights (same config, vocabularies and
tokenizer) to --out, without optimizer state.

Options:
  --out FILE    the averaged checkpoint to write
  --force       replace --out if it exists
  -h, --help    this help`;

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    out: { type: "string" },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out) throw new UsageError("--out FILE is required");
  if (positionals.length < 2) throw new UsageError("Give at least two checkpoints to average");
  checkOutputPath(values.out, {
    flag: "--out",
    replace: values.force!,
    hint: "pass --force to replace it, or another --out",
  });
  const files = [];
  for (const path of positionals) files.push(await modelBytesForCli(path, "checkpoint"));
  writeAtomic(values.out, averageCheckpoints(files));
  console.error(`Wrote ${values.out}: the mean of ${files.length} checkpoints.`);
  return 0;
}

if (import.meta.main) await runCli("average", main);
