/**
 * Command-line flags, as every tool reads them: node:util's parseArgs with one-line usage
 * errors (a typo gets a suggestion), numbers within bounds, and --threads.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DECODING_BOUNDS, describeBounds, type NumberBounds, withinBounds } from "../options.ts";
import { UsageError } from "./run.ts";

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
