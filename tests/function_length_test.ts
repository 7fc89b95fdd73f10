// No function in the package, its entry points, the playground, tools or benchmarks runs
// over 80 lines (generated code in build/ and the AssemblyScript kernels in assembly/ are
// exempt): a longer one does several things and gets named pieces. The code is formatted
// by deno fmt, so a function ends at the first later line indented no deeper than its
// first line (its closing bracket, or the next statement).
import { deepEqual } from "node:assert/strict";

const MAX_LINES = 80;
const root = new URL("../", import.meta.url);

// The first line of a function: a declaration, a method, or a function assigned to a name.
const START = new RegExp(
  [
    String.raw`^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+[\w$]+`,
    String.raw`^(\s*)(?:(?:static|private|readonly|async|get|set)\s+)*#?[\w$]+\s*(?:<[^>]*>)?\s*\(`,
    String
      .raw`^(\s*)(?:export\s+)?(?:const|let)\s+[\w$]+\s*(?::[^=]+)?=\s*(?:async\s*)?(?:\([^)]*\)|[\w$]+)?[^=]*=>\s*\{?\s*$`,
    String.raw`^(\s*)(?:export\s+)?(?:const|let)\s+[\w$]+\s*=\s*(?:async\s*)?\(`,
  ].join("|"),
);
const STATEMENT = /^\s*(?:if|for|while|switch|catch|return|else|do|try|new|await|throw)\b/;
// A multi-line signature's last line, "): T {", belongs to the function.
const SIGNATURE_END = /^\s*\).*[{(]\s*$/;

/** Functions of `text` longer than `max` lines: their first line number and length. */
export function longFunctions(text: string, max = MAX_LINES): { line: number; length: number }[] {
  const lines = text.split("\n");
  const out: { line: number; length: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = START.exec(lines[i]);
    if (!m || STATEMENT.test(lines[i])) continue;
    const indent = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? "").length;
    let j = i + 1;
    while (j < lines.length) {
      const l = lines[j];
      const depth = l.length - l.trimStart().length;
      if (l.trim() !== "" && depth <= indent && !SIGNATURE_END.test(l)) break;
      j++;
    }
    if (j < lines.length && !/^\s*[}\])]/.test(lines[j])) j--;
    const length = j - i + 1;
    if (length > max) out.push({ line: i + 1, length });
  }
  return out;
}

async function sources(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, root))) {
      const path = dir + e.name;
      if (e.isDirectory) await walk(path + "/");
      else if (/\.(ts|js)$/.test(e.name)) out.push(path);
    }
  };
  for await (const e of Deno.readDir(root)) {
    if (e.isFile && e.name.endsWith(".ts")) out.push(e.name);
  }
  for (const dir of ["src/", "models/", "web/", "tools/", "bench/"]) await walk(dir);
  return out.sort();
}

Deno.test("no function is longer than 80 lines", async () => {
  const long: string[] = [];
  for (const path of await sources()) {
    const text = await Deno.readTextFile(new URL(path, root));
    for (const f of longFunctions(text)) long.push(`${path}:${f.line} (${f.length} lines)`);
  }
  deepEqual(long, [], `split these into named pieces:\n${long.join("\n")}`);
});

Deno.test("the length check finds long functions and their ends", () => {
  const body = (n: number, indent = "  ") => Array(n).fill(`${indent}x();`).join("\n");
  const declared = `export function f(\n  a: number,\n): void {\n${body(80)}\n}\n`;
  deepEqual(longFunctions(declared), [{ line: 1, length: 84 }]);
  const arrow = `const g = (a: number) => {\n${body(79)}\n};\nconst h = 1;\n`;
  deepEqual(longFunctions(arrow), [{ line: 1, length: 81 }]);
  const method = `class C {\n  m(): void {\n${body(79, "    ")}\n  }\n}\n`;
  deepEqual(longFunctions(method), [{ line: 2, length: 81 }]);
  deepEqual(longFunctions(`function k() {\n${body(78)}\n}\n`), []);
  // Control flow inside a function is not a function of its own.
  deepEqual(longFunctions(`if (a) {\n${body(90)}\n}\n`), []);
});
