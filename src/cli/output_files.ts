/**
 * Writing the files a long run produces without ever losing one: output paths are
 * checked before the work starts, writes go to `<path>.tmp-<pid>` and are renamed over
 * the target (a reader never sees half a file), temporary files left by a killed run
 * are removed, and a final write that fails still lands somewhere, named.
 * @module
 */
import { UsageError, writeProblem } from "./run.ts";
import { VamosError } from "../errors.ts";

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** What is at `path`, or undefined when nothing is; other failures are one-line errors. */
export function exists(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new VamosError(`Cannot look at ${path}: ${(e as Error).message}`);
  }
}

/**
 * Checks that `path` can be written before any work: its folder exists and takes a new
 * file, it is not a folder, and it does not hold a file unless `replace` allows it.
 * `flag` names the option the path came from, for the message.
 */
export function checkOutputPath(
  path: string,
  opts: { flag: string; replace: boolean; hint: string },
): void {
  if (path === "" || path.endsWith("/")) {
    throw new UsageError(`${opts.flag} must name a file, got "${path}"`);
  }
  const info = exists(path);
  if (info?.isDirectory) throw new UsageError(`${opts.flag} ${path} is a folder; name a file`);
  if (info && !opts.replace) throw new UsageError(`${path} already exists; ${opts.hint}`);
  const dir = dirOf(path);
  const dirInfo = exists(dir);
  if (!dirInfo?.isDirectory) {
    throw new UsageError(`${opts.flag} ${path}: the folder ${dir} does not exist`);
  }
  const probe = `${path}.tmp-${Deno.pid}`;
  try {
    Deno.writeFileSync(probe, new Uint8Array());
    Deno.removeSync(probe);
  } catch (e) {
    throw new VamosError(writeProblem(path, e));
  }
}

// True unless the process is known to be gone (Linux shows every process in /proc).
function processMayBeAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true; // no /proc here: cannot tell, so keep the file
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes `<path>.tmp-<pid>` files of `paths` whose process is gone (a run killed while
 * writing); returns the names removed.
 */
export function removeStaleTemporaries(paths: readonly string[]): string[] {
  const removed: string[] = [];
  for (const path of paths) {
    const dir = dirOf(path), prefix = `${baseOf(path)}.tmp-`;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isFile || !e.name.startsWith(prefix)) continue;
      const pid = Number(e.name.slice(prefix.length));
      if (!Number.isSafeInteger(pid) || pid <= 0 || processMayBeAlive(pid)) continue;
      const stale = dir === "." ? e.name : `${dir.replace(/\/$/, "")}/${e.name}`;
      try {
        Deno.removeSync(stale);
        removed.push(stale);
      } catch {
        // someone else removed it, or it is not ours to remove
      }
    }
  }
  return removed;
}

/** Writes to a temporary file, then renames it over `path`; removes the temporary on failure. */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    if (typeof bytes === "string") Deno.writeTextFileSync(tmp, bytes);
    else Deno.writeFileSync(tmp, bytes);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never created
    }
    throw new VamosError(writeProblem(path, e));
  }
}

/**
 * Writes `bytes` to `path`; when that fails, to a new file in the system's temporary
 * folder instead. Returns where the bytes are, and the problem with `path` if any.
 */
export function writeOrRescue(
  path: string,
  bytes: Uint8Array,
): { path: string; problem?: string } {
  try {
    writeAtomic(path, bytes);
    return { path };
  } catch (e) {
    const problem = (e as Error).message;
    const rescue = Deno.makeTempFileSync({ prefix: "vamos-rescued-", suffix: `-${baseOf(path)}` });
    Deno.writeFileSync(rescue, bytes);
    return { path: rescue, problem };
  }
}
