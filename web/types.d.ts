// The types the playground's JavaScript is checked against (`deno task check:web`, with
// `// @ts-check` in every module); the page itself never loads this file.
import type * as Vamos from "../mod.ts";

/** The bundled package, as `vamos.js` exports it. */
export type VamosModule = typeof Vamos;

/** A model of the package. */
export type Model = Vamos.Transformer;

/** `explain()`'s result and one of its steps. */
export type Explanation = Vamos.Explanation;
export type ExplainStep = Vamos.ExplainStep;

/**
 * An element of the page by id. The tabs look up inputs, selects, buttons, links and
 * progress bars by their ids, so the form controls' properties are typed here.
 */
export type Control = HTMLElement & {
  value: string;
  disabled: boolean;
  files: FileList | null;
  href: string;
  options: HTMLOptionsCollection;
  max: string;
};

/** `$`: the page's element with this id. */
export type Lookup = (id: string) => Control;

/** What the page computed, on `window.playground`, for the browser tests and the curious. */
export interface Playground {
  vamos: VamosModule;
  timings: { loadMs?: number; firstTranslationMs?: number; sincePageLoadMs?: number };
  model?: Model;
  direction?: string;
  useDirection?: (direction: string) => Promise<void>;
  statquest?: Model;
  ready?: Promise<unknown>;
  walk?: unknown;
  trainedStatquest?: { points: [number, number][]; translations: string[] };
  trainedData?: { step: number; loss: number; bytes: number; threads: number };
  tried?: string;
}

/**
 * A step as the walk-through's pictures read it: each picture reads the fields its idea
 * has (`explain_types.ts` says which), so they are typed as present.
 */
export type Step = { [K in keyof ExplainStep]-?: NonNullable<ExplainStep[K]> };

/** An explanation whose steps are read so. */
export type Walk = Omit<Explanation, "steps"> & { steps: Step[] };

/** What the page asks the training worker. */
export type ToWorker =
  | { type: "train"; tsv: string; epochs: number; vocabSize: number }
  | { type: "stop" }
  | { type: "translate"; text: string };

/** What the training worker tells the page. */
export type FromWorker =
  | { type: "started"; pairs: number; parameters: number; vocab: number; threads: number }
  | { type: "step"; step: number; total: number; loss: number }
  | { type: "done"; bytes: Uint8Array; step: number; loss: number; threads: number }
  | { type: "translation"; text: string }
  | { type: "error"; message: string };
