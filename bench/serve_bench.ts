// serve.ts under load, on loopback: sentences per second and p50/p99 latency with 1, 8
// and 64 concurrent clients each sending one sentence per request; then a burst of
// 10,000 requests (5% malformed) with the responses counted by status and the server's
// resident memory (VmRSS, Linux) before and after. Bounded in count; stops by itself.
//
//   deno task bench:serve
import { SENTENCES } from "./_sentences.ts";

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-net", "serve.ts", "--port", "0", "--quiet"],
  cwd: new URL("../", import.meta.url),
  stdin: "null",
  stdout: "null",
  stderr: "piped",
}).spawn();
const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
let seen = "";
let base: string | undefined;
while (!base) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`serve.ts exited: ${seen}`);
  seen += value;
  base = /Listening on (http:\/\/\S+)/.exec(seen)?.[1];
}
(async () => {
  while (!(await reader.read()).done);
})();
const url = `${base}translate`;
const rss = () => {
  const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};

async function request(body: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await r.arrayBuffer();
  return { status: r.status, ms: performance.now() - t0 };
}

async function load(clients: number, total: number) {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < total) {
      const i = next++;
      const body = JSON.stringify({
        q: SENTENCES[i % SENTENCES.length],
        source: "en",
        target: "es",
      });
      const r = await request(body);
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      latencies.push(r.ms);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { rate: total / seconds, p50: pct(0.5), p99: pct(0.99) };
}

try {
  await load(4, 40); // warm-up
  const rows: string[] = [];
  let single = 0;
  for (const [clients, total] of [[1, 300], [8, 800], [64, 2560]]) {
    const r = await load(clients, total);
    if (clients === 1) single = r.rate;
    rows.push(
      `| ${clients} | ${total} | ${r.rate.toFixed(0)} | ${(r.rate / single).toFixed(2)}× | ${
        r.p50.toFixed(0)
      } ms | ${r.p99.toFixed(0)} ms |`,
    );
  }
  console.log("| clients | requests | sentences/s | vs 1 client | p50 | p99 |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(r);

  // The burst: 10,000 requests, every 20th malformed, 512 at a time.
  const before = rss();
  const statuses = new Map<number, number>();
  let answered = 0, failed = 0, next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 512 }, async () => {
    while (next < 10_000) {
      const i = next++;
      const body = i % 20 === 0
        ? ["{not json", '{"q": 5, "target": "es"}', '{"q": "hi", "target": "de"}'][i % 3]
        : JSON.stringify({ q: SENTENCES[i % SENTENCES.length], source: "en", target: "es" });
      try {
        const r = await request(body);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        answered++;
      } catch {
        failed++;
      }
    }
  }));
  const after = rss();
  console.log(
    `burst: 10,000 requests (500 malformed) in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s; ` +
      `answered ${answered}, no answer ${failed}; by status ${
        [...statuses].sort().map(([s, n]) => `${s}: ${n}`).join(", ")
      }; server RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`,
  );
} finally {
  child.kill("SIGTERM");
  await child.status;
}
