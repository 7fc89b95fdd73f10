// The training step of the reference configuration, ours and PyTorch's, timed one step
// each in turn on the same cores: PyTorch runs in its own process (bench/torch_peer.py in
// its "steps" mode) and steps when asked, so both sides see the same moments of a machine
// whose speed moves by tens of percent from one second to the next. Both are reported the
// same way: the median and the fastest of the single-step times.
import { referenceBatch, referenceModel } from "./train_bench.ts";
import { train } from "../src/train/train.ts";

/** Single-step times in milliseconds, ours and the peer's, and the peer's setup. */
export interface InterleavedSteps {
  ours: number[];
  theirs: number[];
  peer: Record<string, string | number>;
}

/** Lines of a byte stream, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return async () => {
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) return buffered ? (buffered = "", buffered) : undefined;
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `rounds` steps of each side on `threads` threads, alternating which goes first. A short
 * pause between steps lets the other side's threads stop spinning before a step starts.
 */
export async function interleavedTrainingSteps(
  threads: number,
  rounds: number,
  env: Record<string, string>,
): Promise<InterleavedSteps> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [new URL("torch_peer.py", import.meta.url).pathname, String(threads), "steps"],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const readLine = lineReader(child.stdout);
  const writer = child.stdin.getWriter();
  try {
    const peer = JSON.parse((await readLine()) ?? "{}");
    if ((await readLine()) !== "ready") throw new Error("the PyTorch peer did not start");
    const model = referenceModel(threads);
    const batch = referenceBatch(7);
    const opts = { batchTokens: 100000, schedule: "constant" as const, lr: 1e-4, smoothing: 0.1 };
    let optimizer = train(model, batch, { ...opts, epochs: 1 });
    const step = () => {
      optimizer = train(model, batch, { ...opts, epochs: optimizer.step + 1, optimizer });
    };
    // The same 3 s of warm-up the peer had (wasm tiers up to optimized code meanwhile).
    for (const t0 = performance.now(); performance.now() - t0 < 3000;) step();
    const ours: number[] = [], theirs: number[] = [];
    const runOurs = () => {
      const t0 = performance.now();
      step();
      ours.push(performance.now() - t0);
    };
    const runTheirs = async () => {
      await writer.write(new TextEncoder().encode("step\n"));
      theirs.push(Number(await readLine()));
    };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) runOurs();
      else await runTheirs();
      await pause(5);
      if (r % 2 === 0) await runTheirs();
      else runOurs();
      await pause(5);
    }
    model.close();
    if (theirs.some((t) => !(t > 0))) throw new Error("the PyTorch peer sent a bad time");
    return { ours, theirs, peer };
  } finally {
    await writer.close().catch(() => {});
    await child.status;
  }
}

/** The median and the fastest of single-step times, in milliseconds. */
export function stepStats(ms: number[]): { median: number; best: number } {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, best: s[0] };
}
