/**
 * What the command-line tools share: usage errors, the one-line error report and the
 * exit codes (0 success, 1 failure, 2 usage error).
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { VamosError } from "../errors.ts";
import { DECODING_BOUNDS, describeBounds, type NumberBounds, withinBounds } from "../options.ts";

/** A mistake in the command line: reported on one line, exit code 2. */
export class UsageError extends Error {}

export type { NumberBounds } from "../options.ts";

/** Parses a numeric flag within bounds; undefined when absent; a usage error otherwise. */
export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  bounds: NumberBounds = {},
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const n = text === "" ? NaN : Number(text);
  if (!withinBounds(n, bounds)) {
    throw new UsageError(`--${name} must be ${describeBounds(bounds)}, got "${v}"`);
  }
  return n;
}

/** Parses a flag as a positive integer (token limits, counts); undefined when absent. */
export function positiveIntegerFlag(
  values: Record<string, unknown>,
  name: string,
): number | undefined {
  return numberFlag(values, name, { min: 1, integer: true });
}

/**
 * Parses `--threads`: a positive integer, capped at the machine's cores with a notice
 * (more threads than cores only wait for each other).
 */
export function threadsFlag(values: Record<string, unknown>, tool: string): number | undefined {
  const n = numberFlag(values, "threads", DECODING_BOUNDS.threads);
  const cores = navigator.hardwareConcurrency || 1;
  if (n !== undefined && n > cores) {
    console.error(`${tool}: --threads ${n} is more than the ${cores} cores here; using ${cores}.`);
    return cores;
  }
  return n;
}

type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses command-line flags with node:util's parseArgs; what it rejects becomes a
 * one-line usage error. A value that starts with "-" (`--lr -1`) is still the flag's
 * value, so it is checked like any other instead of confusing the parser.
 */
export function parseFlags<O extends FlagOptions, P extends boolean = false>(
  args: string[],
  options: O,
  allowPositionals?: P,
) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : "";
    if (options[name]?.type === "string" && /^-./.test(args[i + 1] ?? "")) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else joined.push(args[i]);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals, strict: true });
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(message);
    if (unknown) {
      const near = closestOption(unknown[1].replace(/^-+/, ""), Object.keys(options));
      throw new UsageError(
        `unknown option ${unknown[1]}${near ? `; did you mean --${near}?` : "."} ` +
          "Run with --help for usage.",
      );
    }
    const first = message.split("\n")[0].replace(/\.$/, "");
    throw new UsageError(`${first}. Run with --help for usage.`);
  }
}

// The known option within two edits of `name` (a typo), if there is one.
function closestOption(name: string, known: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(
          d[i - 1][j] + 1,
          d[i][j - 1] + 1,
          d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length][b.length];
  };
  const best = known.map((k) => [k, distance(name, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 2 ? best[0] : undefined;
}

// A usage error naming the flag to add when `path` may not be read or written (asked
// first, so Deno does not prompt).
async function requirePermission(name: "read" | "write", path: string, doing: string) {
  const status = await Deno.permissions.query({ name, path });
  if (status.state !== "granted") {
    const script = Deno.mainModule.split("/").pop();
    throw new UsageError(
      `${doing} needs permission: run deno run --allow-${name}=${path} ${script} ...`,
    );
  }
}

/**
 * Reads a file named on the command line; a missing or unreadable file is a one-line
 * error naming it and `what` it was meant to be, not a stack trace. Without read
 * permission it says which flag to add (asking first, so Deno does not prompt).
 */
export async function readFileForCli(path: string, what: string): Promise<Uint8Array> {
  await requirePermission("read", path, `Reading ${what} "${path}"`);
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new VamosError(`No such ${what}: ${path}`);
    throw new VamosError(`Cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/**
 * Opens a file named on the command line for writing (created or emptied), before any
 * long work, so a bad path is reported at once: a missing folder, a folder in its
 * place, or no permission is a one-line error naming it.
 */
export async function openForWriting(path: string): Promise<Deno.FsFile> {
  await requirePermission("write", path, `Writing "${path}"`);
  try {
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (e) {
    throw new VamosError(writeProblem(path, e));
  }
}

/** A one-line description of why `path` cannot be written. */
export function writeProblem(path: string, e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return `Cannot write ${path}: its folder does not exist`;
  if (e instanceof Deno.errors.IsADirectory) return `Cannot write ${path}: it is a folder`;
  if (e instanceof Deno.errors.PermissionDenied) {
    return `Cannot write ${path}: permission denied`;
  }
  return `Cannot write ${path}: ${(e as Error).message}`;
}

/** Writes all of `bytes` to an open file. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

/**
 * Runs a tool's main function: usage errors exit 2, the package's errors exit 1, each
 * on one line prefixed with the tool's name; anything else is a bug and shows its stack.
 */
export async function runCli(
  name: string,
  main: (args: string[]) => Promise<number>,
): Promise<void> {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${name}: ${e.message}`);
      Deno.exitCode = 2;
    } else if (e instanceof VamosError) {
      console.error(`${name}: ${e.message}`);
      Deno.exitCode = 1;
    } else {
      throw e;
    }
  }
}
