// @ts-check
/// <reference lib="dom" />
// The two training tabs: the StatQuest model trained live on the main thread (a frame per epoch, so it
// can be watched), and a small model trained on pasted pairs in a worker.
import { lineChart } from "./charts.js";

/** @typedef {import("./types.d.ts").Lookup} Lookup */
/** @typedef {import("./types.d.ts").Playground} Playground */
/** @typedef {import("./types.d.ts").VamosModule} VamosModule */
/** @typedef {import("./types.d.ts").FromWorker} FromWorker */
/** @typedef {import("./types.d.ts").ToWorker} ToWorker */

const PAIRS = [{ source: "let's go", target: "vamos" }, { source: "to go", target: "ir" }];

/**
 * The StatQuest model from random weights: Adam at a constant 0.1, 100 epochs, its loss drawn live.
 * @param {{ vamos: VamosModule, playground: Playground, $: Lookup }} page
 */
export function setupTrainStatquest({ vamos, playground, $ }) {
  $("train-statquest-button").addEventListener("click", async () => {
    const button = $("train-statquest-button");
    button.disabled = true;
    const fresh = vamos.createStatquestModel();
    /** @type {[number, number][]} */
    const points = [];
    /** @param {{ step: number, loss: number }} s */
    const onStep = (s) => void points.push([s.step, s.loss]);
    // The first epoch makes the optimizer; each later call continues it by one epoch.
    /** @type {import("./types.d.ts").VamosModule["Adam"]["prototype"] | undefined} */
    let optimizer;
    for (let epoch = 1; epoch <= 100; epoch++) {
      optimizer = vamos.train(fresh, PAIRS, {
        epochs: epoch,
        ...(optimizer ? { optimizer } : { schedule: "constant", lr: 0.1 }),
        smoothing: 0,
        seed: 0,
        onStep,
      });
      $("train-statquest-curve").replaceChildren(lineChart(points));
      await new Promise((r) => setTimeout(r, 16));
    }
    const out = PAIRS.map((p) => `${p.source} → ${fresh.translate(p.source)}`);
    $("train-statquest-result").textContent = `Trained: ${out.join(", ")} (loss ${
      points[points.length - 1][1].toFixed(4)
    }).`;
    playground.trainedStatquest = { points, translations: out };
    fresh.close();
    button.disabled = false;
  });
}

/**
 * A `small` model on the pasted or opened pairs, trained in a worker; download, try it.
 * @param {{ playground: Playground, $: Lookup }} page
 */
export function setupTrainData({ playground, $ }) {
  /** @type {Worker | undefined} */
  let worker;
  /** @type {[number, number][]} */
  const points = [];
  /** @param {ToWorker} msg */
  const send = (msg) => worker?.postMessage(msg);
  /** @param {FromWorker} msg */
  const onWorker = (msg) => {
    if (msg.type === "started") {
      $("train-data-status").textContent =
        `${msg.pairs} pairs, ${msg.parameters.toLocaleString()} parameters, vocabulary ${msg.vocab}, ${msg.threads} thread(s).`;
    } else if (msg.type === "step") {
      points.push([msg.step, msg.loss]);
      $("train-data-progress").value = String(msg.step / msg.total);
      if (msg.step % 5 === 0 || msg.step === msg.total) {
        $("train-data-curve").replaceChildren(lineChart(points));
      }
    } else if (msg.type === "done") {
      // The worker transferred the bytes: an ArrayBuffer of their own, not a shared one.
      const bytes = /** @type {Uint8Array<ArrayBuffer>} */ (msg.bytes);
      const blob = new Blob([bytes], { type: "application/octet-stream" });
      const link = $("download");
      link.href = URL.createObjectURL(blob);
      link.hidden = false;
      link.textContent = `Download the checkpoint (${
        (msg.bytes.byteLength / 1e6).toFixed(1)
      } MB, step ${msg.step})`;
      $("train-data-curve").replaceChildren(lineChart(points));
      $("train-data-status").textContent = `Done: step ${msg.step}, loss ${msg.loss.toFixed(3)}.`;
      $("train-data-button").disabled = false;
      $("train-data-stop").disabled = true;
      $("try-button").disabled = false;
      playground.trainedData = {
        step: msg.step,
        loss: msg.loss,
        bytes: msg.bytes.byteLength,
        threads: msg.threads,
      };
    } else if (msg.type === "translation") {
      $("try-output").textContent = msg.text;
      playground.tried = msg.text;
    } else if (msg.type === "error") {
      $("train-data-status").textContent = msg.message;
      $("train-data-button").disabled = false;
      $("train-data-stop").disabled = true;
    }
  };
  $("tsv-file").addEventListener("change", async (e) => {
    const file = /** @type {HTMLInputElement} */ (e.target).files?.[0];
    if (file) $("tsv").value = await file.text();
  });
  $("train-data-button").addEventListener("click", () => {
    worker?.terminate();
    points.length = 0;
    $("download").hidden = true;
    $("try-button").disabled = true;
    $("train-data-button").disabled = true;
    $("train-data-stop").disabled = false;
    $("train-data-status").textContent = "Starting…";
    worker = new Worker(new URL("./train_worker.js", import.meta.url), { type: "module" });
    worker.onmessage = (e) => onWorker(e.data);
    worker.onerror = (e) => {
      $("train-data-status").textContent = `The worker failed: ${e.message}`;
      $("train-data-button").disabled = false;
    };
    send({
      type: "train",
      tsv: $("tsv").value,
      epochs: Number($("epochs").value),
      vocabSize: Number($("vocab").value),
    });
  });
  $("train-data-stop").addEventListener("click", () => send({ type: "stop" }));
  $("try-button").addEventListener(
    "click",
    () => send({ type: "translate", text: $("try-source").value }),
  );
}
