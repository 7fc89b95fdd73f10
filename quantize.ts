/**
 * Quantizes a checkpoint to 8-bit weights: every matrix (embeddings included) as int8
 * with one f32 scale per row (symmetric: scale = max|w| / 127), biases and norms kept
 * in 32 bits; a quarter of the size. The result loads like any checkpoint (its
 * metadata says `quantization: int8-rowwise`).
 *
 *   deno run -A quantize.ts --model model.safetensors --out model.int8.safetensors
 *   deno run -A quantize.ts --model default --out default.int8.safetensors
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { runCli, UsageError } from "./src/cli/run.ts";
import { numberFlag, parseFlags } from "./src/cli/flags.ts";
import { MAX_BEAM } from "./src/model/beam.ts";
import { modelBytesForCli } from "./src/cli/models.ts";
import { checkOutputPath, writeAtomic } from "./src/cli/output_files.ts";
import { loadCheckpoint, saveModel } from "./src/checkpoint/checkpoint.ts";

const HELP = `Usage: deno run -A quantize.ts --model FILE|default --out FILE

Writes the model with 8-bit matrices (a scale per row) and 32-bit biases and norms.

Options:
  --model FILE   the checkpoint to quantize, or "default" for the shipped model
  --out FILE     the 8-bit checkpoint to write
  --beam N       the beam width its translations use by default (stored in the
                 checkpoint; default: the model's, 1 = greedy decoding)
  --alpha X      beam search's length-penalty exponent, likewise (default: the model's, 0.6)
  --force        replace --out if it exists
  -h, --help     this help`;

async function main(args: string[]): Promise<number> {
  const { values: v } = parseFlags(args, {
    model: { type: "string" },
    out: { type: "string" },
    beam: { type: "string" },
    alpha: { type: "string" },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.model || !v.out) throw new UsageError("--model and --out are required");
  checkOutputPath(v.out, {
    flag: "--out",
    replace: v.force!,
    hint: "pass --force to replace it, or another --out",
  });
  const beam = numberFlag(v, "beam", { min: 1, max: MAX_BEAM, integer: true });
  const alpha = numberFlag(v, "alpha", { min: 0, max: 10 });
  const bytes = await modelBytesForCli(v.model);
  const { model, metadata } = loadCheckpoint(bytes, { threads: 1 });
  if (beam !== undefined) model.beam = beam;
  if (alpha !== undefined) model.alpha = alpha;
  const { optimizer: _, quantization: __, ...keep } = metadata;
  const out = saveModel(model, { dtype: "I8", metadata: keep });
  model.close();
  writeAtomic(v.out, out);
  console.error(
    `Wrote ${v.out}: ${(out.length / 1e6).toFixed(1)} MB (from ${
      (bytes.length / 1e6).toFixed(1)
    } MB).`,
  );
  return 0;
}

if (import.meta.main) await runCli("quantize", main);
