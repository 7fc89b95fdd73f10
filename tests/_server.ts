// serve.ts as the tests run it: spawned on an ephemeral loopback port, and talked to.
const root = new URL("../", import.meta.url);

export interface Server {
  url: string;
  child: Deno.ChildProcess;
  log: string[];
  stop(): Promise<Deno.CommandStatus>;
}

export async function start(args: string[] = [], permissions = ["--allow-net"]): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, "serve.ts", "--port", "0", ...args],
    cwd: root,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const log: string[] = [];
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let url: string | undefined;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return;
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const l of parts) {
        log.push(l);
        url ??= /Listening on (http:\/\/\S+)/.exec(l)?.[1];
      }
    }
  })();
  const t0 = Date.now();
  while (!url) {
    if (Date.now() - t0 > 30_000) throw new Error(`no listening line: ${log.join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    child,
    log,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const status = await child.status;
      await pump;
      return status;
    },
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json(), headers: r.headers };
}
