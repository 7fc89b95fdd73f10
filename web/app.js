// The playground: plain JavaScript over the bundled package (vamos.js, made by
// web/serve.ts from mod.ts). `window.playground` exposes what the page computed, for
// the browser tests and for anyone curious in the console.
import * as vamos from "./vamos.js";

const $ = (id) => document.getElementById(id);
const playground = { vamos, timings: {}, toySteps: [] };
globalThis.playground = playground;

// ---- tabs (WAI-ARIA tabs): the selected tab is the one in the Tab order; arrows move ----
const tabs = [...document.querySelectorAll("nav [data-tab]")];
function showTab(name) {
  for (const t of tabs) {
    const on = t.dataset.tab === name;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.dataset.tab).hidden = !on;
  }
}
showTab("translate");
tabs.forEach((t, i) => {
  t.addEventListener("click", () => showTab(t.dataset.tab));
  t.addEventListener("keydown", (e) => {
    const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!d) return;
    const next = tabs[(i + d + tabs.length) % tabs.length];
    next.focus();
    showTab(next.dataset.tab);
  });
});

// ---- small SVG helpers ----
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A line chart of [x, y] points, with labelled axes. */
function lineChart(points, { width = 560, height = 220, xLabel = "step", yLabel = "loss" } = {}) {
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${yLabel} by ${xLabel}`,
  });
  const pad = 40;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs, 0), x1 = Math.max(...xs, 1);
  const y0 = Math.min(...ys, 0), y1 = Math.max(...ys, 1e-9);
  const X = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const Y = (y) => height - pad + ((y0 - y) / (y1 - y0 || 1)) * (height - 2 * pad);
  root.append(
    svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }),
    svg("line", { x1: pad, y1: pad, x2: pad, y2: height - pad, class: "axis" }),
    svg("text", { x: width / 2, y: height - 8, "text-anchor": "middle" }, xLabel),
    svg("text", { x: 8, y: pad - 10 }, `${yLabel} (${y1.toFixed(2)} at the top)`),
  );
  if (points.length) {
    root.append(svg("polyline", {
      points: points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" "),
      class: "curve-line",
    }));
    const last = points[points.length - 1];
    root.append(
      svg(
        "text",
        { x: X(last[0]) - 4, y: Y(last[1]) - 6, "text-anchor": "end" },
        last[1].toFixed(3),
      ),
    );
  }
  return root;
}

// ---- 1. Translate, with the encoder-decoder attention as a heat-map ----
let model;
let lastMaps;
async function loadTranslator() {
  const t0 = performance.now();
  model = await vamos.loadDefaultModel();
  playground.timings.loadMs = performance.now() - t0;
  playground.model = model;
  const iso = globalThis.crossOriginIsolated
    ? "cross-origin isolated"
    : "not cross-origin isolated";
  $("threads").textContent = `${model.threads} thread${model.threads > 1 ? "s" : ""} (${iso}).`;
  $("translate-button").disabled = false;
  $("translate-button").textContent = "Translate";
  translate();
  playground.timings.firstTranslationMs = performance.now() - t0;
  // performance.now() counts from the navigation: the time from page load to translation.
  playground.timings.sincePageLoadMs = performance.now();
}

function translate() {
  const text = $("source").value;
  const t0 = performance.now();
  let out;
  try {
    out = model.translate(text);
  } catch (e) {
    $("translation").textContent = "";
    $("translate-status").textContent = e.message;
    return;
  }
  const ms = performance.now() - t0;
  $("translation").textContent = out;
  $("translate-status").textContent = `${ms.toFixed(0)} ms on ${model.threads} thread(s).`;
  // A paragraph's heat-map shows one sentence at a time: the user picks which.
  const sentences = vamos.splitSentences(text);
  const pick = $("sentence");
  pick.replaceChildren(
    ...sentences.map((t, i) =>
      new Option(`${i + 1}: ${t.length > 40 ? `${t.slice(0, 39)}…` : t}`, String(i))
    ),
  );
  $("sentence-label").hidden = sentences.length < 2;
  showSentence(sentences);
  fillSelect($("layer"), model.config.decoderLayers);
  fillSelect($("head"), model.config.heads);
  drawHeatmap();
}

function showSentence(sentences = vamos.splitSentences($("source").value)) {
  const s = sentences[Number($("sentence").value) || 0];
  lastMaps = s ? model.attention(s) : undefined;
}

function fillSelect(select, n) {
  if (select.options.length === n) return;
  select.replaceChildren(
    ...Array.from({ length: n }, (_, i) => new Option(String(i + 1), String(i))),
  );
}

const shown = (token) => token.replaceAll("▁", "␣");

function drawHeatmap() {
  const box = $("heatmap");
  if (!lastMaps) return box.replaceChildren();
  const { sourceTokens, targetTokens, decoderCross, heads } = lastMaps;
  const layer = Number($("layer").value || 0), head = Number($("head").value || 0);
  const tgtLen = targetTokens.length, srcLen = sourceTokens.length;
  const map = decoderCross[layer];
  const table = document.createElement("table");
  table.className = "heatmap";
  table.createCaption().textContent = `Layer ${layer + 1}, head ${
    head + 1
  } of ${heads}: rows are what the decoder wrote at each step, columns the source subwords.`;
  const head0 = table.createTHead().insertRow();
  head0.append(document.createElement("th"));
  for (const t of sourceTokens) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = shown(t);
    head0.append(th);
  }
  const body = table.createTBody();
  for (let i = 0; i < tgtLen; i++) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = shown(targetTokens[i + 1] ?? "<EOS>");
    row.append(th);
    for (let j = 0; j < srcLen; j++) {
      const p = map[(head * tgtLen + i) * srcLen + j];
      const cell = row.insertCell();
      cell.textContent = `${Math.round(100 * p)}`;
      cell.style.background = `hsl(212 75% ${Math.round(97 - 57 * p)}%)`;
      cell.style.color = p > 0.55 ? "#fff" : "#111";
      cell.title = `${shown(targetTokens[i + 1] ?? "<EOS>")} → ${shown(sourceTokens[j])}: ${
        (100 * p).toFixed(1)
      }%`;
    }
  }
  box.replaceChildren(table);
}

$("translate-button").addEventListener("click", translate);
$("source").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && model) translate();
});
$("sentence").addEventListener("change", () => {
  showSentence();
  drawHeatmap();
});
$("layer").addEventListener("change", drawHeatmap);
$("head").addEventListener("change", drawHeatmap);

// The weights download while the toy below trains.
playground.ready = loadTranslator().catch((e) => {
  $("translate-button").textContent = "The model could not be loaded";
  $("translate-status").textContent = e.message;
  throw e;
});

// ---- 2. The textbook toy, step by step ----
const toy = vamos.statquestModel();
playground.toy = toy;
let toyStep = 0;

/** The --explain text, cut into the steps the video draws. */
function explainSteps(sentence) {
  const lines = vamos.explain(toy, sentence).split("\n");
  const steps = [{ title: lines[0], lines: lines.slice(1, 2) }];
  for (const line of lines.slice(2)) {
    if (line.trim() === "") continue;
    if (/^(ENCODER|DECODER)/.test(line) || /^ {2}\S/.test(line)) {
      steps.push({ title: line.trim(), lines: [] });
    } else steps[steps.length - 1].lines.push(line);
  }
  return steps;
}

function embeddingFigure() {
  const d = toy.config.dModel;
  const src = toy.core.params.get("src_embed.weight").toArray();
  const tgt = toy.core.params.get("tgt_embed.weight").toArray();
  const points = [
    ...toy.srcVocab.tokens.map((t, i) => ({ t, x: src[i * d], y: src[i * d + 1], lang: "en" })),
    ...toy.tgtVocab.tokens.map((t, i) => ({ t, x: tgt[i * d], y: tgt[i * d + 1], lang: "es" })),
  ];
  const w = 300, h = 240, pad = 30;
  const lim = Math.max(...points.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y)))) * 1.15;
  const X = (x) => w / 2 + (x / lim) * (w / 2 - pad), Y = (y) => h / 2 - (y / lim) * (h / 2 - pad);
  const root = svg("svg", {
    viewBox: `0 0 ${w} ${h}`,
    role: "img",
    "aria-label": "Word embeddings: two values per token",
  });
  root.append(
    svg("line", { x1: pad, y1: h / 2, x2: w - pad, y2: h / 2, class: "axis" }),
    svg("line", { x1: w / 2, y1: pad, x2: w / 2, y2: h - pad, class: "axis" }),
    svg("text", { x: w - pad, y: h / 2 - 4, "text-anchor": "end" }, "value 1"),
    svg("text", { x: w / 2 + 4, y: pad - 6 }, "value 2"),
  );
  for (const p of points) {
    // English as circles, Spanish as squares: told apart by shape, not only colour.
    root.append(
      p.lang === "en"
        ? svg("circle", { cx: X(p.x), cy: Y(p.y), r: 5, class: "en" })
        : svg("rect", { x: X(p.x) - 5, y: Y(p.y) - 5, width: 10, height: 10, class: "es" }),
      svg(
        "text",
        { x: X(p.x) + 8, y: Y(p.y) + 4 },
        p.t,
      ),
    );
  }
  const table = document.createElement("table");
  table.className = "heatmap";
  table.createTHead().insertRow().append(
    ...["token", "value 1", "value 2"].map((t) =>
      Object.assign(document.createElement("th"), { textContent: t })
    ),
  );
  const body = table.createTBody();
  for (const p of points) {
    const row = body.insertRow();
    for (const t of [`${p.lang === "en" ? "●" : "■"} ${p.t}`, p.x.toFixed(2), p.y.toFixed(2)]) {
      row.insertCell().textContent = t;
    }
  }
  const fig = document.createElement("figure");
  fig.append(
    root,
    Object.assign(document.createElement("figcaption"), {
      textContent: "Embeddings: each token's two values as a point (● English, ■ Spanish).",
    }),
    table,
  );
  return fig;
}

function positionsFigure() {
  const w = 300, h = 240, pad = 30, maxPos = 7;
  const X = (p) => pad + (p / maxPos) * (w - 2 * pad), Y = (v) => h / 2 - v * (h / 2 - pad);
  const root = svg("svg", {
    viewBox: `0 0 ${w} ${h}`,
    role: "img",
    "aria-label": "Positional encoding waves",
  });
  root.append(svg("line", { x1: pad, y1: h / 2, x2: w - pad, y2: h / 2, class: "axis" }));
  const curve = (f) =>
    Array.from({ length: 71 }, (_, i) => i / 10).map((p) => `${X(p)},${Y(f(p))}`).join(" ");
  root.append(
    svg("polyline", { points: curve(Math.sin), class: "sin" }),
    svg("polyline", { points: curve(Math.cos), class: "cos" }),
    svg("text", { x: w - pad, y: pad, "text-anchor": "end" }, "value 1: sin(pos) — solid"),
    svg("text", { x: w - pad, y: pad + 14, "text-anchor": "end" }, "value 2: cos(pos) — dashed"),
  );
  for (let pos = 0; pos < 3; pos++) {
    root.append(
      svg("circle", { cx: X(pos), cy: Y(Math.sin(pos)), r: 4, class: "en" }),
      svg("rect", { x: X(pos) - 4, y: Y(Math.cos(pos)) - 4, width: 8, height: 8, class: "es" }),
      svg("text", { x: X(pos), y: h - 10, "text-anchor": "middle" }, `pos ${pos}`),
    );
  }
  const fig = document.createElement("figure");
  fig.append(
    root,
    Object.assign(document.createElement("figcaption"), {
      textContent:
        "Positional encoding: the sine and cosine of each word's position, added to its embedding.",
    }),
  );
  return fig;
}

function renderToy(all = false) {
  const steps = explainSteps($("toy-input").value);
  playground.toySteps = steps;
  toyStep = Math.min(toyStep, steps.length - 1);
  const upto = all ? steps.length - 1 : toyStep;
  const box = $("toy-steps");
  box.replaceChildren(
    ...steps.slice(0, upto + 1).map((s, i) => {
      const article = document.createElement("article");
      article.className = i === upto ? "step current" : "step";
      const h = document.createElement("h3");
      h.textContent = s.title;
      const pre = document.createElement("pre");
      pre.textContent = s.lines.join("\n");
      article.append(h, pre);
      return article;
    }),
  );
  $("toy-progress").textContent = `Step ${upto + 1} of ${steps.length}.`;
  $("toy-prev").disabled = upto === 0;
  $("toy-next").disabled = upto === steps.length - 1;
  box.lastElementChild?.scrollIntoView?.({ block: "nearest" });
}
$("toy-figures").append(embeddingFigure(), positionsFigure());
$("toy-next").addEventListener("click", () => {
  toyStep++;
  renderToy();
});
$("toy-prev").addEventListener("click", () => {
  toyStep = Math.max(0, toyStep - 1);
  renderToy();
});
$("toy-all").addEventListener("click", () => {
  toyStep = playground.toySteps.length - 1;
  renderToy(true);
});
$("toy-input").addEventListener("change", () => {
  toyStep = 0;
  renderToy();
});
renderToy();

// ---- 3. Train the toy, live ----
const PAIRS = [{ source: "let's go", target: "vamos" }, { source: "to go", target: "ir" }];
$("train-toy-button").addEventListener("click", async () => {
  const button = $("train-toy-button");
  button.disabled = true;
  const fresh = vamos.createStatquestModel();
  const points = [];
  const optimizer = new vamos.Adam(fresh.core.params, fresh.config.dModel, {
    schedule: "constant",
    lr: 0.1,
  });
  for (let epoch = 1; epoch <= 100; epoch++) {
    vamos.train(fresh, PAIRS, {
      epochs: epoch,
      optimizer,
      smoothing: 0,
      seed: 0,
      onStep: (s) => void points.push([s.step, s.loss]),
    });
    $("train-toy-curve").replaceChildren(lineChart(points));
    await new Promise((r) => setTimeout(r, 16)); // one frame an epoch, so it can be watched
  }
  const out = PAIRS.map((p) => `${p.source} → ${fresh.translate(p.source)}`);
  $("train-toy-result").textContent = `Trained: ${out.join(", ")} (loss ${
    points.at(-1)[1].toFixed(4)
  }).`;
  playground.trainedToy = { points, translations: out };
  fresh.close();
  button.disabled = false;
});

// ---- 4. Train a small model on pasted or uploaded pairs, in a worker ----
let worker;
const dataPoints = [];
$("tsv-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (file) $("tsv").value = await file.text();
});
$("train-data-button").addEventListener("click", () => {
  worker?.terminate();
  dataPoints.length = 0;
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
  worker.postMessage({
    type: "train",
    tsv: $("tsv").value,
    epochs: Number($("epochs").value),
    vocabSize: Number($("vocab").value),
  });
});
$("train-data-stop").addEventListener("click", () => worker?.postMessage({ type: "stop" }));
$("try-button").addEventListener(
  "click",
  () => worker?.postMessage({ type: "translate", text: $("try-source").value }),
);

function onWorker(msg) {
  if (msg.type === "started") {
    $("train-data-status").textContent =
      `${msg.pairs} pairs, ${msg.parameters.toLocaleString()} parameters, vocabulary ${msg.vocab}, ${msg.threads} thread(s).`;
  } else if (msg.type === "step") {
    dataPoints.push([msg.step, msg.loss]);
    $("train-data-progress").value = msg.step / msg.total;
    if (msg.step % 5 === 0 || msg.step === msg.total) {
      $("train-data-curve").replaceChildren(lineChart(dataPoints));
    }
  } else if (msg.type === "done") {
    const blob = new Blob([msg.bytes], { type: "application/octet-stream" });
    const link = $("download");
    link.href = URL.createObjectURL(blob);
    link.hidden = false;
    link.textContent = `Download the checkpoint (${
      (msg.bytes.byteLength / 1e6).toFixed(1)
    } MB, step ${msg.step})`;
    $("train-data-curve").replaceChildren(lineChart(dataPoints));
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
}
