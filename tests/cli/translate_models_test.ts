// translate.ts's models: opened once when first needed, the beam the flags ask for, the
// shipped en→es model reranked by the shipped es→en one unless told otherwise, and lines
// grouped by the model that translates them.
import { deepEqual, equal, rejects } from "node:assert/strict";
import { CliModels } from "../../src/cli/translate_models.ts";
import { readTranslateFlags, type TranslateFlags } from "../../src/cli/translate_flags.ts";

const flags = (...args: string[]) => readTranslateFlags([...args, "x"]) as TranslateFlags;

Deno.test("the default is reranked by es-en; --no-rerank and greedy decoding are not", async () => {
  const models = new CliModels(flags("--threads", "1"));
  try {
    const m = await models.open("default");
    equal(await models.open("default"), m);
    equal(models.beamOf(m), 4);
    equal((await models.rerankFor("default", m))!.channel, await models.open("es-en"));
  } finally {
    models.close();
  }
  const plain = new CliModels(flags("--no-rerank", "--threads", "1"));
  try {
    equal(await plain.rerankFor("default", await plain.open("default")), undefined);
  } finally {
    plain.close();
  }
  const greedy = new CliModels(flags("--beam", "1", "--threads", "1"));
  try {
    equal(await greedy.rerankFor("default", await greedy.open("default")), undefined);
  } finally {
    greedy.close();
  }
});

Deno.test("a channel of the same direction is refused; lines are grouped by model", async () => {
  const models = new CliModels(
    flags("--from", "auto", "--to", "es", "--rerank", "statquest", "--threads", "1"),
  );
  try {
    await rejects(
      models.rerankFor("default", await models.open("default")),
      /translates from en, as the model it would rerank does/,
    );
    const groups = await models.byModel([
      { text: "Where is the bathroom?" },
      { text: "¿Dónde está el baño?" },
      { text: "I am hungry." },
    ]);
    deepEqual(groups.map((g) => [g.name, g.at]), [["default", [0, 2]], [null, [1]]]);
  } finally {
    models.close();
  }
});
