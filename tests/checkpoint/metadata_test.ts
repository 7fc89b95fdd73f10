// A checkpoint's metadata, checked before anything is allocated: the format, the config,
// the vocabularies against it and the tokenizer, the optimizer's state.
import { equal, throws } from "node:assert/strict";
import { readMetadata } from "../../src/checkpoint/metadata.ts";
import { parseSafetensors } from "../../src/checkpoint/safetensors.ts";
import { saveModel } from "../../src/checkpoint/checkpoint.ts";
import { statquestModel } from "../../models/statquest.ts";

const model = statquestModel(1);
const file = parseSafetensors(saveModel(model));
model.close();
const meta = file.metadata;
const withMeta = (change: Record<string, string | undefined>) => {
  const m = { ...meta, ...change };
  for (const k of Object.keys(m)) if (m[k] === undefined) delete m[k];
  return { ...file, metadata: m as Record<string, string> };
};

Deno.test("a saved model's metadata reads back", () => {
  const r = readMetadata(file);
  equal(r.config.dModel, 2);
  equal(r.srcVocab.size, r.config.srcVocab);
  equal(r.codec.constructor.name, "WordCodec");
  equal(r.optimizer, undefined);
});

Deno.test("each fault is one line that names it", () => {
  throws(() => readMetadata(withMeta({ format: "other/1" })), /format "other\/1", expected/);
  throws(() => readMetadata(withMeta({ format: undefined })), /format "\(none\)"/);
  throws(() => readMetadata(withMeta({ config: "{" })), /config/);
  const vocab = JSON.parse(meta.src_vocab) as string[];
  throws(
    () => readMetadata(withMeta({ src_vocab: JSON.stringify(vocab.slice(1)) })),
    /source vocabulary has \d+ tokens, the config says/,
  );
  throws(
    () => readMetadata(withMeta({ tokenizer: "sentencepiece" })),
    /tokenizer "sentencepiece" is unknown/,
  );
  throws(
    () => readMetadata(withMeta({ bpe_merges: "[]" })),
    /"word" but the metadata has BPE merges/,
  );
  throws(() => readMetadata(withMeta({ optimizer: "{}" })), /optimizer/);
});
