// Recomputes the words a checkpoint trained with placeholders is taken to know
// (`verbatim_known`, see src/text/verbatim.ts's verbatimKnownWords) from the training pairs
// of its recorded split, as train.ts now computes them, and writes the checkpoint with
// them; weights, shortlist and the rest are copied as they are. For models trained before
// train.ts left out the copied names the vocabulary spells in pieces (the shipped en→es
// model's steps in checkpoints/README.md).
//
//   deno run -A tools/verbatim_known.ts models/default.int8.safetensors \
//     ../shared/data/spa-eng/spa-eng.tsv models/default.int8.safetensors
import { loadCheckpoint, resaveModel } from "../src/checkpoint/checkpoint.ts";
import { recordedSplit } from "../src/checkpoint/run_record.ts";
import { checkTrainedOn } from "../src/cli/models.ts";
import { writeAtomic } from "../src/cli/output_files.ts";
import { recordedTrainingPairs } from "../src/cli/shortlist_run.ts";
import { verbatimKnownWords } from "../src/text/verbatim.ts";

const [modelPath, dataPath, outPath] = Deno.args;
if (!modelPath || !dataPath || !outPath) {
  console.error("Usage: deno run -A tools/verbatim_known.ts MODEL DATA OUT");
  Deno.exit(2);
}
const { model, metadata, optimizer } = loadCheckpoint(await Deno.readFile(modelPath), {
  threads: 1,
});
if (!recordedSplit(metadata) || !model.verbatim) {
  console.error(`${modelPath} does not record its split, or was not trained with placeholders`);
  Deno.exit(1);
}
const data = await Deno.readFile(dataPath);
await checkTrainedOn(metadata, data, dataPath, modelPath);
const before = model.verbatimKnown ?? new Set<string>();
const known = verbatimKnownWords(recordedTrainingPairs(metadata, data, dataPath), model.codec);
model.verbatimKnown = new Set(known);
writeAtomic(outPath, resaveModel(model, metadata, optimizer));
const dropped = [...before].filter((w) => !model.verbatimKnown!.has(w));
const added = known.filter((w) => !before.has(w));
console.error(
  `${known.length} known words (${before.size} before): ${dropped.length} left out (${
    dropped.slice(0, 12).join(", ")
  }${dropped.length > 12 ? ", …" : ""}), ${added.length} added. Wrote ${outPath}.`,
);
model.close();
