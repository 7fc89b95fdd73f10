// What the command-line tests share: running a tool as a user does (a subprocess in
// the repository, optional stdin), a test with its own temporary directory, and a small
// parallel corpus that trains in seconds.

const root = new URL("../", import.meta.url);

/** Runs `deno <args>` in the repository; returns its exit code and output. */
export async function run(args: string[], stdin?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Starts `deno <args>` in the repository and reads its stderr until `pattern` shows (a step
 * of training under way); `act` then runs (Ctrl-C, a folder removed), and the rest of
 * stderr is read until the tool exits. Returns its exit code and all of stderr.
 */
export async function runUntil(
  args: string[],
  pattern: RegExp,
  act: (child: Deno.ChildProcess) => void | Promise<void>,
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const readWhile = async (more: () => boolean) => {
    while (more()) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
  };
  await readWhile(() => !pattern.test(seen));
  await act(child);
  await readWhile(() => true);
  return { code: (await child.status).code, stderr: seen };
}

/** A test with a temporary directory of its own, removed afterwards whatever happens. */
export function testInTempDir(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test(name, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await fn(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const EN = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
const ES = ["uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"];

/** Numbers spelled out, "one and two." → "uno y dos.": 100 pairs. */
export const CORPUS = EN.flatMap((a, i) => EN.map((b, j) => `${a} and ${b}.\t${ES[i]} y ${ES[j]}.`))
  .join("\n") + "\n";

/** train.ts flags for a small model that trains on CORPUS in seconds, on one thread. */
export const SMALL = [
  "--preset",
  "small",
  "--vocab-size",
  "300",
  "--batch-tokens",
  "300",
  "--warmup",
  "20",
  "--threads",
  "1",
];

/** Writes CORPUS into `dir` and returns its path. */
export async function numbersData(dir: string): Promise<string> {
  const data = `${dir}/numbers.tsv`;
  await Deno.writeTextFile(data, CORPUS);
  return data;
}

/** Runs `deno run -A train.ts --data <data> <SMALL flags> <args>`. */
export function trainSmall(data: string, args: string[]) {
  return run(["run", "-A", "train.ts", "--data", data, ...SMALL, ...args]);
}
