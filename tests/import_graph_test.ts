// The package's arrows point down: every module imports only modules of its own layer or
// the layers below (ARCHITECTURE.md, "The layers of the code"), and no module reaches
// itself through its imports, type-only imports included.
import { deepEqual, ok } from "node:assert/strict";

const root = new URL("../", import.meta.url);

// The layers, top first: a path's layer is the first prefix that matches it.
const LAYERS: [string, string[]][] = [
  ["entry points", ["web/serve.ts", "*.ts at the root"]],
  ["the public API", ["mod.ts"]],
  ["cli, server", ["src/cli/", "src/server/"]],
  ["the shipped models", ["models/"]],
  ["onnx", ["src/onnx/"]],
  ["checkpoint", ["src/checkpoint/"]],
  ["train", ["src/train/"]],
  ["model", ["src/model/"]],
  ["text", ["src/text/"]],
  ["kernels", ["src/kernels/"]],
  ["runtime", ["src/runtime/"]],
  ["host", ["src/host/"]],
  ["generated", ["build/"]],
  ["errors and options", ["src/options.ts", "src/errors.ts"]],
];

function layerOf(path: string): number {
  if (!path.includes("/") && path !== "mod.ts") return 0;
  const i = LAYERS.findIndex(([, prefixes]) =>
    prefixes.some((p) => p === path || (p.endsWith("/") && path.startsWith(p)))
  );
  if (i < 0) throw new Error(`${path} is in no layer: add its folder to LAYERS`);
  return i;
}

// The package's TypeScript modules (tests, benchmarks and tools are outside it).
async function modules(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, root))) {
      const path = dir + e.name;
      if (e.isDirectory) await walk(path + "/");
      else if (e.name.endsWith(".ts")) out.push(path);
    }
  };
  for await (const e of Deno.readDir(root)) {
    if (e.isFile && e.name.endsWith(".ts")) out.push(e.name);
  }
  for (const dir of ["src/", "models/", "build/"]) await walk(dir);
  out.push("web/serve.ts");
  return out.sort();
}

// Relative specifiers a module imports or re-exports, statically or dynamically.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g;

async function importsOf(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(new URL(path, root));
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.endsWith(".ts")) continue; // wasm modules, JSON
    out.push(new URL(spec, new URL(path, root)).href.slice(root.href.length));
  }
  return out;
}

// The arrows up and the cycles of an import graph (module → the modules it imports).
function problems(graph: Map<string, string[]>): { up: string[]; cycles: string[] } {
  const up: string[] = [];
  for (const [from, tos] of graph) {
    for (const to of tos) {
      if (!graph.has(to)) up.push(`${from} imports ${to}, which is not a module of the package`);
      else if (layerOf(to) < layerOf(from)) {
        up.push(`${from} (${LAYERS[layerOf(from)][0]}) imports ${to} (${LAYERS[layerOf(to)][0]})`);
      }
    }
  }
  // Depth-first search; a module met again while still on the path closes a cycle.
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (m: string, path: string[]) => {
    state.set(m, "open");
    for (const to of graph.get(m) ?? []) {
      if (state.get(to) === "open") cycles.push([...path.slice(path.indexOf(to)), to].join(" → "));
      else if (!state.has(to)) visit(to, [...path, to]);
    }
    state.set(m, "done");
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m, [m]);
  return { up, cycles };
}

Deno.test("imports point down the layers, and none goes round in a cycle", async () => {
  const graph = new Map<string, string[]>();
  for (const path of await modules()) graph.set(path, await importsOf(path));
  ok(graph.size > 80, `${graph.size} modules`);
  ok((graph.get("src/model/model.ts") ?? []).length > 5, "imports are found");
  const { up, cycles } = problems(graph);
  deepEqual(up, [], "arrows up");
  deepEqual(cycles, [], "cycles");
});

Deno.test("the import-graph check finds an arrow up and a cycle", () => {
  const graph = new Map([
    ["src/kernels/matmul.ts", ["src/model/model.ts"]], // up
    ["src/model/model.ts", ["src/model/beam.ts"]],
    ["src/model/beam.ts", ["src/model/model.ts"]], // a cycle
    ["train.ts", ["src/cli/run.ts", "src/gone.ts"]], // down; a module that is not there
    ["src/cli/run.ts", []],
  ]);
  const { up, cycles } = problems(graph);
  deepEqual(up, [
    "src/kernels/matmul.ts (kernels) imports src/model/model.ts (model)",
    "train.ts imports src/gone.ts, which is not a module of the package",
  ]);
  deepEqual(cycles, ["src/model/model.ts → src/model/beam.ts → src/model/model.ts"]);
  ok(layerOf("src/checkpoint/checkpoint.ts") < layerOf("src/train/optimizer.ts"));
  const text =
    'import { a } from "./a.ts";\nexport { b } from "../b.ts";\nconst c = import("./c.ts");';
  deepEqual([...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]), ["./a.ts", "../b.ts", "./c.ts"]);
});
