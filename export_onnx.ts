/**
 * Exports a model as ONNX in the folder layout transformers.js loads offline (and any
 * onnxruntime runs): config, generation config, tokenizer, encoder and cached decoder.
 *
 *   deno run -A export_onnx.ts --model default --out vamos-en-es
 *   deno run -A export_onnx.ts --model my.safetensors --out my-onnx --int8
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { runCli, UsageError } from "./src/cli/run.ts";
import { parseFlags } from "./src/cli/flags.ts";
import { exists, writeAtomic } from "./src/cli/output_files.ts";
import { openModelForCli } from "./src/cli/models.ts";
import { exportOnnx } from "./src/onnx/export.ts";
import { VamosError } from "./src/errors.ts";

const HELP = `Usage: deno run -A export_onnx.ts --model FILE|default|es-en|statquest --out DIR

Writes the model as ONNX into DIR (made if missing): config.json, generation_config.json,
tokenizer.json, tokenizer_config.json, onnx/encoder_model.onnx and
onnx/decoder_model_merged.onnx, the layout transformers.js and Optimum use.

Options:
  --model M     a checkpoint, "default" (the shipped en→es translator), "es-en" (the
                shipped es→en one) or "statquest" (the StatQuest model)
  --out DIR     the folder to write
  --int8        keep the matrices in 8 bits (DequantizeLinear; a quarter of the size;
                files onnx/*_int8.onnx, transformers.js dtype "int8")
  --force       replace files of an earlier export in DIR
  -h, --help    this help`;

async function main(args: string[]): Promise<number> {
  const { values: v } = parseFlags(args, {
    model: { type: "string" },
    out: { type: "string" },
    int8: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.model || !v.out) throw new UsageError("--model and --out DIR are required");
  const out = v.out.replace(/\/+$/, "") || "/";
  const info = exists(out);
  if (info && !info.isDirectory) throw new UsageError(`--out ${out} is a file; name a folder`);
  const parent = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) || "/" : ".";
  if (!info && !exists(parent)?.isDirectory) {
    throw new UsageError(`--out ${out}: the folder ${parent} does not exist`);
  }
  const model = await openModelForCli(v.model, 1);
  try {
    const files = exportOnnx(model, { int8: v.int8 });
    const existing = Object.keys(files).filter((p) => exists(`${out}/${p}`));
    if (existing.length && !v.force) {
      throw new UsageError(
        `${out} already holds ${
          existing.join(", ")
        }; pass --force to replace them, or another --out`,
      );
    }
    try {
      Deno.mkdirSync(`${out}/onnx`, { recursive: true });
    } catch (e) {
      throw new VamosError(`Cannot make ${out}/onnx: ${(e as Error).message}`);
    }
    let total = 0;
    for (const [path, bytes] of Object.entries(files)) {
      writeAtomic(`${out}/${path}`, bytes);
      total += bytes.length;
    }
    console.error(
      `Wrote ${Object.keys(files).length} files to ${out} (${(total / 1e6).toFixed(1)} MB). ` +
        `In transformers.js: env.localModelPath = "<the folder holding ${
          out.slice(out.lastIndexOf("/") + 1)
        }>"; env.allowRemoteModels = false; pipeline("translation", "${
          out.slice(out.lastIndexOf("/") + 1)
        }"${v.int8 ? ', { dtype: "int8" }' : ""}).`,
    );
    return 0;
  } finally {
    model.close();
  }
}

if (import.meta.main) await runCli("export_onnx", main);
