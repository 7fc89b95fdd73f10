import { Runtime } from "../../src/runtime/runtime.ts";
import { matmulInto } from "../../src/kernels/matmul.ts";
import { embeddingInto } from "../../src/kernels/embedding.ts";
import { crossEntropyInto } from "../../src/kernels/cross_entropy.ts";
import { assertClose, randomArray } from "../_helpers.ts";
import { refMatmul } from "../reference.ts";

Deno.test("memory growth leaves no stale view behind", () => {
  const rt = new Runtime({ initialBytes: 65536 });
  const a = rt.tensor(3, 3).set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const before = rt.memory.buffer.byteLength;
  const big = rt.tensor(1000, 1000); // forces growth
  if (rt.memory.buffer.byteLength <= before) throw new Error("memory did not grow");
  assertClose(a.toArray(), [1, 2, 3, 4, 5, 6, 7, 8, 9], { rtol: 0 });
  big.set(new Float32Array(1e6).fill(2));
  const c = rt.tensor(3, 3);
  matmulInto(a, a, c);
  assertClose(
    c.toArray(),
    refMatmul([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3, 3),
    {
      rtol: 0,
    },
  );
});

Deno.test("mark/release reuses the activation arena", () => {
  const rt = new Runtime();
  const mark = rt.mark();
  const t1 = rt.tensor(10, 10);
  rt.release(mark);
  const t2 = rt.tensor(10, 10);
  if (t1.ptr !== t2.ptr) throw new Error("arena did not reuse memory");
});

Deno.test("zeroing a tensor, a strided view and a new allocation, on a private and a shared memory", () => {
  for (const threads of [1, 2]) {
    const rt = new Runtime({ threads });
    const mark = rt.mark();
    const t = rt.tensor(5, 9).set(new Float32Array(45).fill(7));
    t.colSlice(2, 6).zero(); // rows of 4 floats, 9 apart
    const want = Array.from({ length: 45 }, (_, i) => (i % 9 >= 2 && i % 9 < 6 ? 0 : 7));
    assertClose(t.toArray(), want, { rtol: 0 });
    t.zero();
    assertClose(t.toArray(), new Float32Array(45), { rtol: 0 });
    t.set(new Float32Array(45).fill(3));
    rt.release(mark);
    const again = rt.tensor(5, 9); // the same bytes, zeroed again
    if (again.ptr !== t.ptr) throw new Error("the arena did not reuse the bytes");
    assertClose(again.toArray(), new Float32Array(45), { rtol: 0 });
    rt.close();
  }
});

Deno.test("zeroing above 2 GiB of a shared memory", () => {
  const rt = new Runtime({ threads: 2 });
  rt.allocBytes(2 ** 31 + 1000, false); // skip past 2 GiB without touching it
  const a = rt.tensor(5, 7).set(randomArray(35, 1));
  if (a.ptr < 2 ** 31) throw new Error(`tensor at ${a.ptr}, not above 2 GiB`);
  a.zero();
  assertClose(a.toArray(), new Float32Array(35), { rtol: 0 });
  rt.close();
});

Deno.test("memory above 2 GiB: addresses are unsigned everywhere", () => {
  const rt = new Runtime();
  rt.allocBytes(2 ** 31 + 1000, false); // skip past 2 GiB without touching it
  const a = rt.tensor(5, 7).set(randomArray(35, 1));
  const b = rt.tensor(7, 3).set(randomArray(21, 2));
  if (a.ptr < 2 ** 31) throw new Error(`tensor at ${a.ptr}, not above 2 GiB`);
  const c = rt.tensor(5, 3);
  matmulInto(a, b, c);
  assertClose(c.toArray(), refMatmul(a.toArray(), b.toArray(), 5, 7, 3), { rtol: 1e-6 });
  assertClose(a.view(), a.toArray(), { rtol: 0 });
  const ids = rt.ints(4).set([2, 0, 6, 1]);
  assertClose(ids.toArray(), [2, 0, 6, 1], { rtol: 0 });
  const table = rt.tensor(7, 3).set(randomArray(21, 3));
  const out = rt.tensor(4, 3);
  embeddingInto(table, ids, out, { scale: 1, seqLen: 4 });
  const t = table.toArray();
  assertClose(out.toArray(), [2, 0, 6, 1].flatMap((i) => [...t.subarray(3 * i, 3 * i + 3)]), {
    rtol: 0,
  });
  a.zero();
  assertClose(a.toArray(), new Float32Array(35), { rtol: 0 });
  const logits = rt.tensor(4, 7).set(randomArray(28, 4));
  const grad = rt.tensor(4, 7);
  const loss = crossEntropyInto(logits, ids, grad);
  if (!Number.isFinite(loss) || loss <= 0) throw new Error(`loss ${loss}`);
});
