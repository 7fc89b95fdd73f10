// @ts-check
/// <reference lib="dom" />
// The walk-through tab: `explain()`'s steps drawn one picture per idea, in the order of
// StatQuest's video (word embedding, positional encoding, self-attention's queries, keys,
// scores, softmax and weighted values, the residual, encoder-decoder attention, the fully
// connected layer and softmax, each decoder step until <EOS>). Every number drawn is the
// model's own; a model with many values per word is summarised (its first values).
import { bars, html, num, scatter, shown, svg, table, vector } from "./charts.js";

/** @typedef {import("./types.d.ts").Step} Step */
/** @typedef {import("./types.d.ts").Walk} Walk */
/** @typedef {import("./types.d.ts").Lookup} Lookup */
/** @typedef {import("./types.d.ts").Model} Model */
/** @typedef {import("./types.d.ts").Playground} Playground */
/** @typedef {import("./types.d.ts").VamosModule} VamosModule */

/**
 * The step before `i` with one of `ideas` (the input a step adds to).
 * @param {Walk} e
 * @param {number} i
 * @param {string[]} ideas
 * @returns {Step | undefined}
 */
function before(e, i, ideas) {
  for (let j = i - 1; j >= 0; j--) if (ideas.includes(e.steps[j].idea)) return e.steps[j];
  return undefined;
}

/**
 * The step before `i` with one of `ideas`, which the step's picture needs.
 * @param {Walk} e
 * @param {number} i
 * @param {string[]} ideas
 * @returns {Step}
 */
function needed(e, i, ideas) {
  const s = before(e, i, ideas);
  if (!s) throw new Error(`step ${i + 1} comes after no ${ideas.join(" or ")} step`);
  return s;
}

/**
 * @param {Step} s
 * @param {Walk} e
 */
function embeddingPicture(s, e) {
  const inSentence = new Set(e.source);
  /**
   * @param {Parameters<typeof scatter>[0]} points
   * @param {string} label
   */
  const plot = (points, label) => {
    const { root, unplaced } = scatter(points, { xLabel: "value 1", yLabel: "value 2", label });
    const also = unplaced.length ? ` (also there: ${unplaced.join(", ")})` : "";
    return html(
      "figure",
      { className: "chart" },
      root,
      html("figcaption", { textContent: label + also }),
    );
  };
  // The StatQuest model: both vocabularies, each in its own plot (they are separate tables).
  const plots = s.vocabulary
    ? /** @type {[string, string, "a" | "b"][]} */ ([[
      "source",
      "English words (ringed: in this sentence)",
      "a",
    ], [
      "target",
      "Spanish words",
      "b",
    ]]).map(
      ([lang, label, kind]) =>
        plot(
          s.vocabulary.filter((w) => w.lang === lang).map((w) => ({
            x: w.values[0],
            y: w.values[1] ?? 0,
            text: shown(w.token),
            kind,
            highlight: lang === "source" && inSentence.has(w.token),
          })),
          label,
        ),
    )
    : [plot(
      s.vectors.map((v) => ({ x: v.values[0], y: v.values[1], text: shown(v.label), kind: "a" })),
      `This sentence's tokens: the first 2 of their ${e.model.dModel} values`,
    )];
  return [
    html("div", { className: "plots" }, ...plots),
    table(
      ["token", ...s.vectors[0].values.slice(0, 2).map((_, i) => `value ${i + 1}`)],
      s.vectors.map((v) => [shown(v.label), ...v.values.slice(0, 2).map(num)]),
      { caption: "This sentence's embeddings" },
    ),
  ];
}

/**
 * @param {Step} s
 * @param {Walk} e
 */
function positionsPicture(s, e) {
  const n = s.vectors.length;
  const dims = Math.min(e.model.dModel, 4);
  const width = 360, height = 240, m = { left: 44, right: 12, top: 12, bottom: 38 };
  const xMax = Math.max(n - 1, 3) + 0.5;
  /** @param {number} p */
  const X = (p) => m.left + (p / xMax) * (width - m.left - m.right);
  /** @param {number} v */
  const Y = (v) => height - m.bottom - ((v + 1.2) / 2.4) * (height - m.top - m.bottom);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": "Positional encoding: the waves and the values picked at each position",
  });
  root.append(
    svg("line", { x1: m.left, y1: Y(0), x2: width - m.right, y2: Y(0), class: "axis" }),
    svg("line", { x1: m.left, y1: m.top, x2: m.left, y2: height - m.bottom, class: "axis" }),
  );
  for (const v of [-1, 0, 1]) {
    root.append(
      svg("text", { x: m.left - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, String(v)),
    );
  }
  for (let p = 0; p <= Math.floor(xMax); p++) {
    root.append(
      svg(
        "text",
        { x: X(p), y: height - m.bottom + 15, "text-anchor": "middle", class: "tick" },
        String(p),
      ),
    );
  }
  root.append(
    svg("text", { x: (m.left + width) / 2, y: height - 6, "text-anchor": "middle" }, "position"),
  );
  /**
   * @param {number} i
   * @param {number} p
   */
  const wave = (i, p) => (i % 2 === 0 ? Math.sin : Math.cos)(p / s.rates[i]);
  for (let i = 0; i < dims; i++) {
    const pts = Array.from({ length: 121 }, (_, k) => (k / 120) * xMax)
      .map((p) => `${X(p).toFixed(1)},${Y(wave(i, p)).toFixed(1)}`).join(" ");
    root.append(svg("polyline", { points: pts, class: `wave wave${i}` }));
    // The values picked for each word: the model's own table, on the wave.
    s.vectors.forEach((v, p) =>
      root.append(svg("circle", { cx: X(p), cy: Y(v.values[i]), r: 4, class: `dot wave${i}` }))
    );
  }
  const legend = html("ul", { className: "legend" });
  for (let i = 0; i < dims; i++) {
    legend.append(
      html("li", {
        className: `wave${i}`,
        textContent: `value ${i + 1}: ${i % 2 ? "cos" : "sin"}(position${
          s.rates[i] !== 1 ? ` / ${num(s.rates[i])}` : ""
        })`,
      }),
    );
  }
  return [
    root,
    legend,
    table(
      ["position", ...Array.from({ length: dims }, (_, i) => `value ${i + 1}`)],
      s.vectors.map((v) => [shown(v.label), ...v.values.slice(0, dims).map(num)]),
    ),
  ];
}

/**
 * @param {Step} s
 * @param {Walk} e
 * @param {number} i
 */
function sumPicture(s, e, i) {
  const emb = needed(e, i, ["embedding"]), pos = needed(e, i, ["positions"]);
  return [table(
    ["word", "embedding", "+ position", "= sum"],
    s.vectors.map((
      v,
      k,
    ) => [
      shown(v.label),
      vector(emb.vectors[k].values),
      vector(pos.vectors[k].values),
      vector(v.values),
    ]),
  )];
}

/**
 * @param {Step} s
 * @param {boolean} percent
 */
function matrixPicture(s, percent) {
  const mx = s.matrix;
  const lo = Math.min(...mx.values.flat()), hi = Math.max(...mx.values.flat());
  return [table(
    ["query \\ key", ...mx.cols.map(shown)],
    mx.rows.map((
      r,
      i,
    ) => [
      shown(r),
      ...mx.cols.map((_, j) => percent ? mx.percent?.[i][j] ?? "" : num(mx.values[i][j])),
    ]),
    {
      className: "numbers heat",
      shade: (i, j) => percent ? mx.values[i][j] : (mx.values[i][j] - lo) / (hi - lo || 1),
    },
  )];
}

/**
 * @param {Step} s
 * @param {Walk} e
 * @param {number} i
 */
function weightedSumPicture(s, e, i) {
  const qkv = before(e, i, ["queries-keys-values"]), soft = before(e, i, ["softmax"]);
  if (!qkv || !soft || e.model.dModel > 8 || qkv.layer !== s.layer) {
    return [
      table(
        ["word", "self-attention values"],
        s.vectors.map((v) => [shown(v.label), vector(v.values, 4)]),
      ),
    ];
  }
  return [table(
    ["word", "Σ weight × value", "= result"],
    s.vectors.map((v, r) => [
      shown(v.label),
      qkv.qkv.map((w, k) => `${soft.matrix.percent?.[r][k]} × ${vector(w.v)}`).join(" + "),
      vector(v.values),
    ]),
  )];
}

/**
 * @param {Step} s
 * @param {Walk} e
 * @param {number} i
 */
function residualPicture(s, e, i) {
  const values = needed(e, i, ["attention-values"]);
  // The layer's input: the embedded words, or what the layer before gave.
  const layerInput = needed(
    e,
    i,
    s.layer === 0 ? ["embedding+positions"] : ["feed-forward", "residual"],
  );
  return [table(
    [
      "word",
      "attention values",
      "+ input",
      e.model.norm === "post" ? "= sum, normalized" : "= sum",
    ],
    s.vectors.map((
      v,
      k,
    ) => [
      shown(v.label),
      vector(values.vectors[k].values),
      vector(layerInput.vectors[k].values),
      vector(v.values),
    ]),
  )];
}

/** @param {Step} s */
function vectorsPicture(s) {
  return [table(["word", "values"], s.vectors.map((v) => [shown(v.label), vector(v.values, 4)]))];
}

/** @param {Step} s */
function qkvPicture(s) {
  const cols = s.qkv[0].q.length ? ["word", "query", "key", "value"] : ["word", "key", "value"];
  return [
    table(
      cols,
      s.qkv.map((
        r,
      ) => [shown(r.label), ...(r.q.length ? [vector(r.q)] : []), vector(r.k), vector(r.v)]),
    ),
  ];
}

/** @param {Step} s */
function attentionPicture(s) {
  const a = s.attention;
  const rows = a.keys.map((k, j) => ({
    label: a.scores ? `${shown(k)} (${num(a.scores[j])})` : shown(k),
    value: a.weights[j],
    text: a.percent[j],
  }));
  return [
    bars(rows, {
      label: `${s.title}: softmax weights`,
      note: a.scores
        ? "In brackets: the similarity score (query · key); the bar: its softmax weight."
        : "The softmax weights, averaged over the heads.",
    }),
    html("p", {
      className: "legend",
      textContent: `After the residual connection: ${vector(s.residual, 4)}`,
    }),
  ];
}

/** @param {Step} s */
function outputPicture(s) {
  const chosen = s.words.findIndex((w) => w.token === s.chosen.token);
  const rows = s.words.map((w) => ({
    label: `${shown(w.token)} (${num(w.logit)})`,
    value: w.probability,
    text: w.percent,
  }));
  const note = (s.allWords ? "Every Spanish word" : "The five likeliest of the tokens") +
    ": in brackets the fully connected layer's score, the bar its softmax probability." +
    (s.chosen.token !== s.chosen.mostLikely
      ? ` Beam search keeps "${
        shown(s.chosen.token)
      }": the translation with it scores better as a whole.`
      : "");
  return [
    bars(rows, {
      label: `${s.title}: probabilities of the next word`,
      highlight: chosen < 0 ? undefined : chosen,
      note,
    }),
  ];
}

/**
 * The picture of step `i` of explanation `e`: nodes for a <figure>.
 * @param {Walk} e
 * @param {number} i
 * @returns {Node[]}
 */
export function drawStep(e, i) {
  const s = e.steps[i];
  switch (s.idea) {
    case "embedding":
      return embeddingPicture(s, e);
    case "positions":
      return positionsPicture(s, e);
    case "embedding+positions":
      return sumPicture(s, e, i);
    case "queries-keys-values":
    case "encoder-decoder-keys-values":
      return qkvPicture(s);
    case "scores":
      return matrixPicture(s, false);
    case "softmax":
      return matrixPicture(s, true);
    case "attention-values":
      return weightedSumPicture(s, e, i);
    case "residual":
      return residualPicture(s, e, i);
    case "masked-self-attention":
    case "encoder-decoder-attention":
      return attentionPicture(s);
    case "output":
      return outputPicture(s);
    case "feed-forward":
      return s.vectors ? vectorsPicture(s) : [
        table(["word", "after the feed-forward and the residual"], [[
          shown(e.target[s.decoderStep]),
          vector(s.residual, 4),
        ]]),
      ];
    default:
      return vectorsPicture(s);
  }
}

/**
 * The tab's controls: a model and sentence, previous/next and a slider over the steps.
 * @param {{ vamos: VamosModule, statquest: Model, translator: () => Model | undefined,
 *   playground: Playground, $: Lookup }} page
 */
export function setupWalkthrough({ vamos, statquest, translator, playground, $ }) {
  /** @type {Walk} */
  let e;
  let index = 0;
  const render = () => {
    const s = e.steps[index];
    $("walk-title").textContent = `${s.part === "encoder" ? "Encoder" : "Decoder"}: ${s.title}`;
    $("walk-caption").textContent = s.caption;
    $("walk-figure").replaceChildren(...drawStep(e, index));
    $("walk-figure").dataset.idea = s.idea;
    $("walk-progress").textContent = `Step ${index + 1} of ${e.steps.length}.`;
    $("walk-slider").max = String(e.steps.length - 1);
    $("walk-slider").value = String(index);
    $("walk-slider").setAttribute("aria-valuetext", `Step ${index + 1}: ${s.title}`);
    $("walk-prev").disabled = index === 0;
    $("walk-next").disabled = index === e.steps.length - 1;
    playground.walk = { explanation: e, index };
  };
  const load = () => {
    const useStatquest = $("walk-model").value === "statquest";
    $("walk-statquest-text").hidden = !useStatquest;
    $("walk-text").hidden = useStatquest;
    const model = useStatquest ? statquest : translator();
    if (!model) {
      $("walk-status").textContent = "The translator is still loading.";
      return;
    }
    const text = useStatquest ? $("walk-statquest-text").value : $("walk-text").value;
    try {
      e = /** @type {Walk} */ (vamos.explain(model, text));
    } catch (err) {
      $("walk-status").textContent = /** @type {Error} */ (err).message;
      return;
    }
    $("walk-status").textContent = `"${text}" → "${e.translation}"`;
    index = 0;
    render();
  };
  /** @param {number} i */
  const go = (i) => {
    index = Math.max(0, Math.min(e.steps.length - 1, i));
    render();
  };
  $("walk-prev").addEventListener("click", () => go(index - 1));
  $("walk-next").addEventListener("click", () => go(index + 1));
  $("walk-slider").addEventListener("input", () => go(Number($("walk-slider").value)));
  $("walk-model").addEventListener("change", load);
  $("walk-statquest-text").addEventListener("change", load);
  $("walk-text").addEventListener("change", load);
  load();
  return {
    /** Enables the translator's walk-through once it is loaded. */
    translatorReady() {
      const option = $("walk-model").querySelector('[value="translator"]');
      if (option) /** @type {HTMLOptionElement} */ (option).disabled = false;
    },
    go,
  };
}
