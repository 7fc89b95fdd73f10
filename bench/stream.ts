// Streaming translation at scale: pipes N English lines of a TSV file into
// `deno run translate.ts` and reports the first-line latency (from the first byte
// written to the first line printed), the total time, lines per second and the
// process's peak resident memory (VmHWM, read from /proc while it runs; Linux).
//
//   deno task bench:stream [--lines 100000] [--data ../shared/data/spa-eng/spa-eng.tsv]
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    lines: { type: "string", default: "100000" },
    data: { type: "string", default: "../shared/data/spa-eng/spa-eng.tsv" },
    threads: { type: "string" },
  },
});
const n = Number(values.lines);
const sources = (await Deno.readTextFile(values.data)).split("\n").filter(Boolean)
  .map((l) => l.split("\t")[0]);
const lines = Array.from({ length: n }, (_, i) => sources[i % sources.length]);
const input = new TextEncoder().encode(lines.join("\n") + "\n");

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "translate.ts", ...(values.threads ? ["--threads", values.threads] : [])],
  cwd: new URL("../", import.meta.url),
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();

let peakKb = 0;
const poll = setInterval(() => {
  try {
    const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
    peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e; // the process has ended
  }
}, 50);

const t0 = performance.now();
let first = 0, count = 0;
const writing = (async () => {
  const w = child.stdin.getWriter();
  for (let at = 0; at < input.length; at += 65536) await w.write(input.subarray(at, at + 65536));
  await w.close();
})();
const reader = child.stdout.getReader();
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  for (const b of value) {
    if (b === 10) {
      if (count === 0) first = performance.now() - t0;
      count++;
    }
  }
}
await writing;
const status = await child.status;
clearInterval(poll);
const total = (performance.now() - t0) / 1000;
console.log(
  `${count} of ${n} lines (exit ${status.code}): first line after ${first.toFixed(0)} ms, ` +
    `all in ${total.toFixed(1)} s (${(count / total).toFixed(0)} lines/s), ` +
    `peak RSS ${(peakKb / 1024).toFixed(0)} MB`,
);
