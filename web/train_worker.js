// Trains a `small` model on pasted sentence pairs, off the page's main thread, and
// sends progress, the checkpoint and translations back. The package's own worker
// threads start from here too (a dedicated worker may start workers).
import * as vamos from "./vamos.js";

let model;
let stop = false;

function parsePairs(tsv) {
  const pairs = [];
  tsv.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const [source, target] = line.split("\t");
    if (!source?.trim() || !target?.trim()) {
      throw new Error(
        `Line ${i + 1} is not "english<TAB>spanish": ${JSON.stringify(line.slice(0, 60))}`,
      );
    }
    pairs.push({ source: source.trim(), target: target.trim() });
  });
  if (!pairs.length) throw new Error("No sentence pairs: paste english<TAB>spanish lines.");
  return pairs;
}

async function trainOn({ tsv, epochs, vocabSize }) {
  const pairs = parsePairs(tsv);
  const bpe = vamos.BpeCodec.train(pairs.flatMap((p) => [p.source, p.target]), { vocabSize });
  model?.close();
  model = await vamos.createModel("small", {
    srcVocab: bpe.vocabulary,
    tgtVocab: bpe.vocabulary,
    codec: bpe,
    seed: 1,
    // A handful of pairs is learned by heart: no dropout, no smoothing, and a constant
    // rate (the warm-up schedule's peak makes so small a data set diverge).
    overrides: { shareEmbeddings: true, tieOutput: true, startToken: "sos", dropout: 0 },
  }).ready();
  postMessage({
    type: "started",
    pairs: pairs.length,
    parameters: model.parameterCount,
    vocab: bpe.vocabulary.size,
    threads: model.threads,
  });
  stop = false;
  let last = { step: 0, loss: NaN };
  const optimizer = await vamos.trainAsync(model, pairs, {
    epochs,
    schedule: "constant",
    lr: 0.002,
    smoothing: 0,
    batchTokens: 2000,
    seed: 1,
    onStep: (s) => {
      last = s;
      postMessage({ type: "step", step: s.step, total: s.totalSteps, loss: s.loss });
      return !stop;
    },
  });
  const bytes = vamos.saveModel(model, { optimizer });
  postMessage(
    { type: "done", bytes, step: last.step, loss: last.loss, threads: model.threads },
    [bytes.buffer],
  );
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === "train") await trainOn(msg);
    else if (msg.type === "stop") stop = true;
    else if (msg.type === "translate" && model) {
      postMessage({ type: "translation", text: model.translate(msg.text) });
    }
  } catch (err) {
    postMessage({ type: "error", message: err.message });
  }
};
