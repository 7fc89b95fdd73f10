// A benchmark peer in a process of its own (a thread count fixed when its engine starts,
// no JIT or memory shared with ours): runs `script` with `args` and reads the one JSON
// object it prints, or says in one line why it failed.

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
