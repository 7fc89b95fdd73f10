// translate.ts reranks the shipped en→es model's candidates with the es→en model by default
// and carries English times and titles through in their Spanish form; the flags that turn
// reranking off or choose another model are checked before any work.
import { equal, match, notEqual } from "node:assert/strict";
import { run } from "./_cli.ts";

Deno.test("translate.ts: reranked by default, --no-rerank is beam search alone", async () => {
  const line = "Does this bus go to the city center?";
  const reranked = await run(["run", "translate.ts", line]);
  const alone = await run(["run", "translate.ts", "--no-rerank", line]);
  equal(reranked.code, 0, reranked.stderr);
  equal(alone.code, 0, alone.stderr);
  // Beam search's best drops "city"; the channel's choice keeps it.
  equal(alone.stdout, "¿Este autobús va al centro?\n");
  equal(reranked.stdout, "¿Este bus va al centro de la ciudad?\n");
  notEqual(reranked.stdout, alone.stdout);
  // Greedy decoding has nothing to rerank: the same with and without.
  const greedy = await run(["run", "translate.ts", "--beam", "1", line]);
  const greedyAlone = await run(["run", "translate.ts", "--beam", "1", "--no-rerank", line]);
  equal(greedy.stdout, greedyAlone.stdout);
});

Deno.test("translate.ts: times and titles come out as Spanish writes them", async () => {
  const r = await run(
    ["run", "translate.ts"],
    "The meeting is at 3 p.m.\nI have an appointment with Dr. López at 5 p.m.\n",
  );
  equal(r.code, 0, r.stderr);
  equal(
    r.stdout,
    "La reunión es a las 3 p. m.\nTengo una cita con el Dr. López a las 5 p. m.\n",
  );
});

Deno.test("translate.ts: --rerank flags are checked before any work, one line each", async () => {
  const both = await run(["run", "translate.ts", "--rerank", "es-en", "--no-rerank", "hi"]);
  equal(both.code, 2);
  match(both.stderr, /^translate: --rerank and --no-rerank contradict each other: give one\n$/);
  const same = await run(["run", "translate.ts", "--rerank", "statquest", "hi"]);
  equal(same.code, 2);
  match(same.stderr, /^translate: --rerank statquest translates from en, as the model .*\n$/);
  const missing = await run([
    "run",
    "--allow-read",
    "translate.ts",
    "--rerank",
    "nope.safetensors",
    "hi",
  ]);
  equal(missing.code, 1);
  equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
});
