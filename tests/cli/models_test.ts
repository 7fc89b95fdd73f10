// The models --model names: the shipped ones and their directions, the StatQuest model,
// and a file that is no checkpoint reported by its name.
import { equal, rejects } from "node:assert/strict";
import { modelBytesForCli, openModelAndDirectionForCli } from "../../src/cli/models.ts";

Deno.test("names and their directions", async () => {
  for (const [name, direction] of [["statquest", "en-es"], ["es-en", "es-en"]] as const) {
    const { model, direction: d } = await openModelAndDirectionForCli(name, 1);
    equal(d, direction);
    model.close();
  }
});

Deno.test("a file that is no checkpoint, or is missing, is named in the error", async () => {
  const file = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await Deno.writeTextFile(file, "not a checkpoint at all");
    await rejects(modelBytesForCli(file), new RegExp(`Cannot load ${file.replaceAll("/", "\\/")}`));
    await rejects(modelBytesForCli(`${file}.none`), /No such model file/);
  } finally {
    await Deno.remove(file);
  }
});
