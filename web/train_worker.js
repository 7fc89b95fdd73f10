// @ts-check
/// <reference lib="dom" />
// Trains a `small` model on pasted sentence pairs, off the page's main thread, and
// sends progress, the checkpoint and translations back. The package's own worker
// threads start from here too (a dedicated worker may start workers).
// @ts-types="../mod.ts"
import * as vamos from "./vamos.js";

/** @typedef {import("./types.d.ts").FromWorker} FromWorker */
/** @typedef {import("./types.d.ts").ToWorker} ToWorker */

/** @type {import("./types.d.ts").Model | undefined} */
let model;
let stop = false;

/** @param {FromWorker} msg @param {Transferable[]} [transfer] */
const tell = (msg, transfer = []) => postMessage(msg, { transfer });

/** @param {Extract<ToWorker, { type: "train" }>} request */
async function trainOn({ tsv, epochs, vocabSize }) {
  const pairs = vamos.parseTsv(tsv, "The pasted pairs");
  model?.close();
  // train.ts's recipe; a handful of pairs is learned by heart: no dropout, no smoothing,
  // and a constant rate (the warm-up schedule's peak makes so small a data set diverge).
  model = await vamos.createSubwordModel("small", pairs.flatMap((p) => [p.source, p.target]), {
    vocabSize,
    seed: 1,
    overrides: { dropout: 0 },
  }).ready();
  tell({
    type: "started",
    pairs: pairs.length,
    parameters: model.parameterCount,
    vocab: model.srcVocab.size,
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
      tell({ type: "step", step: s.step, total: s.totalSteps, loss: s.loss });
      return !stop;
    },
  });
  const bytes = vamos.saveModel(model, { optimizer });
  tell(
    { type: "done", bytes, step: last.step, loss: last.loss, threads: model.threads },
    [bytes.buffer],
  );
}

self.onmessage = async (e) => {
  /** @type {ToWorker} */
  const msg = e.data;
  try {
    if (msg.type === "train") await trainOn(msg);
    else if (msg.type === "stop") stop = true;
    else if (msg.type === "translate" && model) {
      tell({ type: "translation", text: model.translate(msg.text) });
    }
  } catch (err) {
    tell({ type: "error", message: /** @type {Error} */ (err).message });
  }
};
