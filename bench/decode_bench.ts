// Translating with the shipped model and its decoding (beam 4): its 8-bit matrix products
// (the default for an 8-bit checkpoint) against the same weights in 32-bit products, one
// sentence at a time and as a batch. Run: deno bench bench/decode_bench.ts
import { loadDefaultModel } from "../models/default.ts";
import { SENTENCES } from "./_sentences.ts";

const int8 = await loadDefaultModel({ threads: 1 });
const f32 = await loadDefaultModel({ threads: 1, int8: false });
const one = (m: typeof int8) => () => {
  for (const s of SENTENCES) m.translate(s);
};
const batch = (m: typeof int8) => () => {
  m.translate(SENTENCES);
};

Deno.bench(
  "32-bit products, 8 sentences one at a time",
  { group: "one", baseline: true },
  one(f32),
);
Deno.bench("8-bit products, 8 sentences one at a time", { group: "one" }, one(int8));
Deno.bench(
  "32-bit products, 8 sentences as a batch",
  { group: "batch", baseline: true },
  batch(f32),
);
Deno.bench("8-bit products, 8 sentences as a batch", { group: "batch" }, batch(int8));
