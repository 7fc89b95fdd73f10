/**
 * What the command-line tools share: usage errors, the one-line error report and the
 * exit codes (0 success, 1 failure, 2 usage error).
 * @module
 */
import { VamosError } from "../errors.ts";

/** A mistake in the command line: reported on one line, exit code 2. */
export class UsageError extends Error {}

/** Parses a flag as a non-negative number (or integer); undefined when absent. */
export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  integer: boolean,
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0) {
    throw new UsageError(
      `--${name} must be a ${integer ? "non-negative integer" : "non-negative number"}, got "${v}"`,
    );
  }
  return n;
}

/** Parses a flag as a positive integer (threads, token limits); undefined when absent. */
export function positiveIntegerFlag(
  values: Record<string, unknown>,
  name: string,
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  }
  return n;
}

/** Runs a flag parser (node:util's parseArgs); what it rejects becomes a usage error. */
export function parseFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(`${(e as Error).message}. Run with --help for usage.`);
  }
}

/**
 * Reads a file named on the command line; a missing or unreadable file is a one-line
 * error naming it and `what` it was meant to be, not a stack trace. Without read
 * permission it says which flag to add (asking first, so Deno does not prompt).
 */
export async function readFileForCli(path: string, what: string): Promise<Uint8Array> {
  const status = await Deno.permissions.query({ name: "read", path });
  if (status.state !== "granted") {
    const script = Deno.mainModule.split("/").pop();
    throw new UsageError(
      `Reading ${what} "${path}" needs permission: run deno run --allow-read=${path} ${script} ...`,
    );
  }
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new VamosError(`No such ${what}: ${path}`);
    throw new VamosError(`Cannot read ${what} ${path}: ${(e as Error).message}`);
  }
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
