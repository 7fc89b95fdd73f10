// deno bench: fused causal attention at (batch·heads, seq, head_dim) = (32, 64, 32),
// forward and backward, beside a naive TypeScript forward.
import { Runtime } from "../src/runtime/runtime.ts";
import { attentionBackwardInto, attentionInto } from "../src/kernels/attention.ts";
import { filled } from "./_naive.ts";

const rt = new Runtime();
const bh = 32, seq = 64, dHead = 32;
const q = rt.tensor(bh * seq, dHead).set(filled(bh * seq * dHead));
const k = rt.tensor(bh * seq, dHead).set(filled(bh * seq * dHead).reverse());
const v = rt.tensor(bh * seq, dHead).set(filled(bh * seq * dHead));
const out = rt.tensor(bh * seq, dHead), probs = rt.tensor(bh * seq, seq);
const dq = rt.tensor(bh * seq, dHead), dk = rt.tensor(bh * seq, dHead);
const dv = rt.tensor(bh * seq, dHead), scratch = rt.tensor(seq, seq);
const shape = {
  batch: bh,
  heads: 1,
  seqQ: seq,
  seqK: seq,
  causal: true,
  scale: 1 / Math.sqrt(dHead),
};
const group = "causal attention (32, 64, 32)";
Deno.bench(
  "wasm forward",
  { group, baseline: true },
  () => attentionInto(q, k, v, out, probs, shape),
);
Deno.bench(
  "wasm backward",
  { group },
  () => attentionBackwardInto(q, k, v, probs, out, dq, dk, dv, scratch, shape),
);

const jq = q.toArray(), jk = k.toArray(), jv = v.toArray(), jo = new Float32Array(bh * seq * dHead);
const row = new Float32Array(seq);
Deno.bench("naive TS forward", { group }, () => {
  for (let b = 0; b < bh; b++) {
    for (let i = 0; i < seq; i++) {
      let m = -Infinity;
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let d = 0; d < dHead; d++) {
          s += jq[(b * seq + i) * dHead + d] * jk[(b * seq + j) * dHead + d];
        }
        row[j] = s * shape.scale;
        m = Math.max(m, row[j]);
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += row[j] = Math.exp(row[j] - m);
      for (let d = 0; d < dHead; d++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += row[j] * jv[(b * seq + j) * dHead + d];
        jo[(b * seq + i) * dHead + d] = acc / sum;
      }
    }
  }
});
