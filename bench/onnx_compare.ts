// The shipped model decoded by onnxruntime beside ours, in one run (part of `deno task
// bench:compare`; alone: `deno task bench:onnx`): the model exported by exportOnnx (32-bit
// weights, the 8-bit ones as our 32-bit products see them; and the --int8 graphs), decoded
// greedily as transformers.js does it (tests/_onnx.ts), each peer in a process of its own.
import { bestSeconds } from "./_timing.ts";
import { loadDefaultModel } from "../models/default.ts";
import { SENTENCES } from "./_sentences.ts";
import { onnxPeer, writeShippedOnnx } from "./_peer.ts";

type Ours = Record<string, { one: number; batch: number; tokens: number[][] }>;

export async function compareOnnx(): Promise<void> {
  // The same model in onnxruntime: the shipped model exported (exportOnnx, 32-bit
  // weights: the 8-bit ones as our 32-bit products see them), decoded greedily as
  // transformers.js does it (tests/_onnx.ts), each peer in a process of its own.
  const { dir, ids } = await exportShipped();
  const ours = await timeOurs(ids);
  printOurs(ours, ids.length);
  for (const [engine, suffix] of [["node", ""], ["node", "_int8"], ["web", ""], ["web", "_int8"]]) {
    for (const threads of [1, 2]) {
      const r = await onnxPeer({ engine, threads, dir, ids, suffix }) as
        | { oneMs: number; batchMs: number; tokens: number[][] }
        | string;
      if (typeof r === "string") {
        console.log(`| onnxruntime-${engine} | ${threads} | ${r} | | | | |`);
        continue;
      }
      const [q, f] = [ours[`8-bit ${threads}`], ours[`32-bit ${threads}`]];
      console.log(
        `| onnxruntime-${engine}${engine === "web" ? " (wasm)" : " (native)"}, ${
          suffix ? "int8 graphs" : "fp32 graphs"
        } | ${threads} | ${r.oneMs.toFixed(2)} | ${r.batchMs.toFixed(1)} | ${
          (r.oneMs / q.one).toFixed(2)
        }× | ${(r.oneMs / f.one).toFixed(2)}× | ${
          JSON.stringify(r.tokens) === JSON.stringify(f.tokens) ? "yes" : "no"
        } |`,
      );
    }
  }
  await Deno.remove(dir, { recursive: true });
}

// The shipped model exported to a temporary folder, in both weight widths, and the ids of
// the sentences.
async function exportShipped(): Promise<{ dir: string; ids: number[][] }> {
  const dir = await Deno.makeTempDir({ prefix: "vamos-bench-onnx-" });
  await writeShippedOnnx(dir);
  const model = await loadDefaultModel({ threads: 1 });
  const ids = SENTENCES.map((s) => model.encodeSource(s));
  model.close();
  return { dir, ids };
}

// Ours, greedy, on 1 and 2 threads with 8-bit and 32-bit products: ms per sentence one at
// a time, ms for all in one batch, and the tokens.
async function timeOurs(ids: number[][]): Promise<Ours> {
  const ours: Ours = {};
  for (const threads of [1, 2]) {
    for (const kind of ["8-bit", "32-bit"]) {
      const model = await loadDefaultModel({ threads, int8: kind === "8-bit" });
      let tokens: number[][] = [];
      const one = bestSeconds(
        () => {
          tokens = ids.map((s) => model.translateIds([s], undefined, { beam: 1 })[0]);
        },
        1,
        5,
      ) / ids.length * 1000;
      const batch = bestSeconds(() => model.translateIds(ids, undefined, { beam: 1 }), 1, 5) * 1000;
      ours[`${kind} ${threads}`] = { one, batch, tokens };
      model.close();
    }
  }
  return ours;
}

function printOurs(ours: Ours, n: number): void {
  console.log(
    `\n| shipped model, greedy, ms (${n} sentences) | threads | one sentence | ` +
      `all ${n} as one batch | ours 8-bit / it, one sentence (speed) | ` +
      `ours 32-bit / it | same tokens as ours 32-bit |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const threads of [1, 2]) {
    for (const kind of ["8-bit", "32-bit"]) {
      const r = ours[`${kind} ${threads}`];
      console.log(
        `| ours, ${kind} products | ${threads} | ${r.one.toFixed(2)} | ${
          r.batch.toFixed(1)
        } | | | ${
          JSON.stringify(r.tokens) === JSON.stringify(ours[`32-bit ${threads}`].tokens)
            ? "yes"
            : "no"
        } |`,
      );
    }
  }
}

if (import.meta.main) await compareOnnx();
