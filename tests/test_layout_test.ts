// Tests mirror the source: every module of src/ with behaviour of its own has
// tests/<folder>/<module>_test.ts, and the entry points at the root have theirs at
// tests/ (translate_test.ts, train_test.ts, serve_test.ts, …). The exceptions below hold
// types or data, or are an entry point's steps, run end to end by the named tests.
import { deepEqual } from "node:assert/strict";

const root = new URL("../", import.meta.url);

const EXEMPT: Record<string, string> = {
  "src/model/explain_types.ts": "types only",
  "src/server/translate_page.ts": "the page's HTML, served by server/routes_test",
  "src/train/statquest_pairs.ts": "the StatQuest pairs (data), trained on by models/statquest_test",
  "src/cli/eval_run.ts": "eval.ts's steps, run by robustness_test and translate_rerank_test",
  "src/cli/serve_run.ts": "serve.ts's steps, run by serve_test",
  "src/cli/shortlist_run.ts": "shortlist.ts's steps, run by model/shortlist_test",
  "src/cli/train_inputs.ts": "train.ts's inputs, run by train_test and cli/train_settings_test",
  "src/cli/train_loop.ts": "train.ts's loop, run by train_test (Ctrl-C) and robustness_test",
  "src/cli/train_outputs.ts": "train.ts's outputs, run by train_test and robustness_test (rescue)",
  "src/cli/train_run.ts": "train.ts's steps, run by train_test (a resume with nothing left)",
  "src/cli/translate_lines.ts":
    "translate.ts's lines, run by translate_test and translate_stream_test",
};

async function modules(): Promise<string[]> {
  const out: string[] = [];
  for await (const d of Deno.readDir(new URL("src/", root))) {
    if (!d.isDirectory) continue;
    for await (const f of Deno.readDir(new URL(`src/${d.name}/`, root))) {
      if (f.name.endsWith(".ts")) out.push(`src/${d.name}/${f.name}`);
    }
  }
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(path, root));
    return true;
  } catch {
    return false;
  }
}

Deno.test("every module with behaviour of its own has a test named after it", async () => {
  const missing: string[] = [];
  const stale: string[] = [];
  for (const m of await modules()) {
    const test = m.replace(/^src\//, "tests/").replace(/\.ts$/, "_test.ts");
    const has = await exists(test);
    if (!has && !EXEMPT[m]) missing.push(`${m}: add ${test}`);
    if (has && EXEMPT[m]) stale.push(`${m} has ${test}: drop its exemption`);
  }
  for (const m of Object.keys(EXEMPT)) if (!(await exists(m))) stale.push(`${m} is gone`);
  deepEqual([...missing, ...stale], []);
});
