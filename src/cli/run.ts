/**
 * What the command-line tools share around their work: usage errors, files named on the
 * command line (read and written with one-line errors), and runCli, the one-line error
 * report and the exit codes (0 success, 1 failure, 2 usage error). Flags: `flags.ts`.
 * @module
 */
import { VamosError } from "../errors.ts";

/** A mistake in the command line: reported on one line, exit code 2. */
export class UsageError extends Error {}

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
