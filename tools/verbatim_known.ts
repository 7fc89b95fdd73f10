// Recomputes the words a checkpoint trained with placeholders is taken to know
// (`verbatim_known`, see src/text/verbatim.ts's verbatimKnownWords) from the training pairs
// of its recorded split, as train.ts now computes them, and writes the checkpoint with
// them; weights, shortlist and the rest are copied as they are. For models trained before
// train.ts left out the copied names the vocabulary spells in pieces (the shipped en→es
// model's steps in checkpoints/README.md).
//
//   deno run -A tools/verbatim_known.ts models/default.int8.safetensors \
//     ../shared/data/spa-eng/spa-eng.tsv models/default.int8.safetensors
import { INT8_ROWWISE, loadCheckpoint, saveModel } from "../src/checkpoint/checkpoint.ts";
import { recordedRun, recordedSplit } from "../src/checkpoint/run_record.ts";
import { checkTrainedOn } from "../src/cli/models.ts";
import { writeAtomic } from "../src/cli/output_files.ts";
import { orientPairs, parseTsv, readUtf8Text, trainingPairs } from "../src/train/data.ts";
import { verbatimKnownWords } from "../src/text/verbatim.ts";

const [modelPath, dataPath, outPath] = Deno.args;
if (!modelPath || !dataPath || !outPath) {
  console.error("Usage: deno run -A tools/verbatim_known.ts MODEL DATA OUT");
  Deno.exit(2);
}
const { model, metadata, optimizer } = loadCheckpoint(await Deno.readFile(modelPath), {
  threads: 1,
});
const split = recordedSplit(metadata);
if (!split || !model.verbatim) {
  console.error(`${modelPath} does not record its split, or was not trained with placeholders`);
  Deno.exit(1);
}
const data = await Deno.readFile(dataPath);
await checkTrainedOn(metadata, data, dataPath, modelPath);
const run = recordedRun(metadata);
const pairs = orientPairs(
  parseTsv(readUtf8Text(data, dataPath), dataPath),
  run.direction ?? "en-es",
);
const before = model.verbatimKnown ?? new Set<string>();
const known = verbatimKnownWords(
  trainingPairs(pairs, split, run.hold_out_reverse),
  (w) => model.codec.tokenize(` ${w}`).length,
);
model.verbatimKnown = new Set(known);
const { quantization, optimizer: _saved, ...rest } = metadata;
writeAtomic(
  outPath,
  saveModel(model, {
    dtype: quantization === INT8_ROWWISE ? "I8" : "F32",
    optimizer: quantization === INT8_ROWWISE ? undefined : optimizer,
    metadata: rest,
  }),
);
const dropped = [...before].filter((w) => !model.verbatimKnown!.has(w));
const added = known.filter((w) => !before.has(w));
console.error(
  `${known.length} known words (${before.size} before): ${dropped.length} left out (${
    dropped.slice(0, 12).join(", ")
  }${dropped.length > 12 ? ", …" : ""}), ${added.length} added. Wrote ${outPath}.`,
);
model.close();
