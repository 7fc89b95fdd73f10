// One onnxruntime peer of `deno task bench:compare`, in a process of its own (the web
// build's thread count is fixed when its wasm starts): greedy decoding of an exported
// model folder as transformers.js runs it (the encoder once, then the cached decoder a
// step at a time), one sentence at a time and as one batch; with --batches, the sentences in
// batches of each size instead (ms for all of them). Prints one JSON object.
//
//   deno run -A bench/onnx_peer.ts --engine node|web --threads 1|2 --dir DIR --ids JSON [--suffix _int8]
//     [--batches 8,64]
import { parseArgs } from "node:util";
import { OnnxModel, type Ort } from "../tests/_onnx.ts";

const { values: v } = parseArgs({
  args: Deno.args,
  options: {
    engine: { type: "string" },
    threads: { type: "string", default: "1" },
    dir: { type: "string" },
    ids: { type: "string" },
    suffix: { type: "string", default: "" },
    batches: { type: "string" },
  },
});
const threads = Number(v.threads);
const sources = JSON.parse(v.ids!) as number[][];
let ort: Ort, session: Record<string, unknown>;
if (v.engine === "web") {
  const web = await import("onnxruntime-web");
  web.env.wasm.numThreads = threads;
  ort = web as unknown as Ort;
  session = {};
} else {
  ort = await import("onnxruntime-node") as unknown as Ort;
  session = { intraOpNumThreads: threads, interOpNumThreads: 1 };
}
const model = await OnnxModel.open(ort, v.dir!, { session, suffix: v.suffix });

// Best mean over runs of at least 0.2 s each, after a warm-up (as bench/_timing.ts).
async function best(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    if (performance.now() - t0 >= 50) break;
    reps *= 2;
  }
  reps *= 4;
  let m = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    m = Math.min(m, (performance.now() - t0) / reps);
  }
  return m;
}

if (v.batches) {
  const out: Record<string, number> = {};
  for (const size of v.batches.split(",").map(Number)) {
    out[size] = await best(async () => {
      for (let i = 0; i < sources.length; i += size) await model.greedy(sources.slice(i, i + size));
    }, 3);
  }
  console.log(JSON.stringify(out));
  Deno.exit(0);
}

let tokens: number[][] = [];
const oneMs = await best(async () => {
  tokens = [];
  for (const s of sources) tokens.push(...await model.greedy([s]));
}) / sources.length;
const batchMs = await best(async () => {
  await model.greedy(sources);
});
console.log(JSON.stringify({ oneMs, batchMs, tokens }));
