// transformers.js translating with an exported model folder, in a process of its own: the
// texts in batches of each size through its translation pipeline (greedy, as it decodes by
// default). Prints one JSON object: ms for all the texts, per batch size.
//
//   deno run -A bench/transformers_peer.ts --dir DIR --texts JSON --batches 1,8,32,64 [--dtype int8]
import { parseArgs } from "node:util";
import { env, pipeline } from "@huggingface/transformers";

const { values: v } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string" },
    texts: { type: "string" },
    batches: { type: "string", default: "1,8,32,64" },
    dtype: { type: "string", default: "fp32" },
  },
});
const dir = v.dir!.replace(/\/$/, "");
env.allowRemoteModels = false;
env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
const translator = await pipeline("translation", dir.slice(dir.lastIndexOf("/") + 1), {
  dtype: v.dtype as "fp32" | "int8",
});
const texts = JSON.parse(v.texts!) as string[];
const run = async (size: number) => {
  for (let i = 0; i < texts.length; i += size) await translator(texts.slice(i, i + size));
};
const out: Record<string, number> = {};
for (const size of v.batches.split(",").map(Number)) {
  await run(size); // warm-up
  let best = Infinity;
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    await run(size);
    best = Math.min(best, performance.now() - t0);
  }
  out[size] = best;
}
console.log(JSON.stringify(out));
