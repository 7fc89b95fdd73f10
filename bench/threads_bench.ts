// deno bench: the cost of handing work to a worker thread (a tiny kernel on both
// threads, round trip), which sets MIN_WORK_PER_THREAD in src/kernels/_split.ts.
import { Runtime } from "../src/runtime/runtime.ts";

const rt = new Runtime({ threads: 2 });
const t = rt.tensor(1, 16);
const job = [t.ptr, t.ptr, t.ptr, 16];
Deno.bench("dispatch round trip: a 16-element add on 2 threads", () => {
  rt.parallel("add", [job, job]);
});
Deno.bench("the same add on the calling thread", { baseline: true }, () => {
  rt.kernels.add(t.ptr, t.ptr, t.ptr, 16);
});
