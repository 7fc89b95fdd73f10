// What the ONNX benchmarks share: the shipped model exported for the peers, and a
// benchmark peer in a process of its own (a thread count fixed when its engine starts,
// no JIT or memory shared with ours): runs `script` with `args` and reads the one JSON
// object it prints, or says in one line why it failed.
import { loadDefaultModel } from "../models/default.ts";
import { exportOnnx } from "../src/onnx/export.ts";

/** The peer's JSON answer, or "failed: <its last line of stderr>". */
export async function runPeer(script: URL, args: readonly string[]): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    return `failed: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Writes the shipped en→es model's ONNX export into `dir`: the fp32 and the int8 graphs. */
export async function writeShippedOnnx(dir: string): Promise<void> {
  const exported = await loadDefaultModel({ threads: 1, int8: false });
  const files = { ...exportOnnx(exported), ...exportOnnx(exported, { int8: true }) };
  exported.close();
  for (const [path, bytes] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeFile(`${dir}/${path}`, bytes);
  }
}

/** bench/onnx_peer.ts decoding `ids` greedily with onnxruntime (node or web) over `dir`. */
export function onnxPeer(opts: {
  engine: string;
  threads: number;
  dir: string;
  ids: number[][];
  suffix: string;
  batches?: readonly number[];
}): Promise<unknown> {
  const args = ["--engine", opts.engine, "--threads", String(opts.threads), "--dir", opts.dir];
  args.push("--ids", JSON.stringify(opts.ids), "--suffix", opts.suffix);
  if (opts.batches) args.push("--batches", opts.batches.join(","));
  return runPeer(new URL("onnx_peer.ts", import.meta.url), args);
}
