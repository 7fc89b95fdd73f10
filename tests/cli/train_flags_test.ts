// train.ts's flags, checked before any work: choices, numbers in range, and flags that
// need or exclude others.
import { equal, throws } from "node:assert/strict";
import { readTrainFlags, type TrainFlags } from "../../src/cli/train_flags.ts";

Deno.test("flags read into the run's settings", () => {
  equal(readTrainFlags(["--help"]), "help");
  const f = readTrainFlags([
    "--preset",
    "small",
    "--d-model",
    "64",
    "--epochs",
    "3",
    "--ship",
  ]) as TrainFlags;
  equal(f.run.preset, "small");
  equal(f.run.shape.dModel, 64);
  equal(f.run.epochs, 3);
  equal(f.ship, true);
  // The StatQuest pairs' flags, and their earlier names.
  for (
    const args of [["--statquest-pairs", "--statquest-copies", "32"], [
      "--textbook",
      "--textbook-copies=32",
    ]]
  ) {
    const g = readTrainFlags(args) as TrainFlags;
    equal(g.run.textbook, true);
    equal(g.run.textbook_copies, 32);
  }
});

Deno.test("each bad flag is one usage error", () => {
  const bad = (args: string[], message: RegExp) => throws(() => readTrainFlags(args), message);
  bad(["--preset", "huge"], /Unknown preset "huge"/);
  bad(["--direction", "fr-es"], /--direction must be en-es or es-en/);
  bad(["--schedule", "cosine"], /--schedule must be noam or constant/);
  bad(["--sha256", "abc"], /--sha256 must be 64 hexadecimal digits/);
  bad(["--textbook-copies", "3"], /--statquest-copies needs --statquest-pairs/);
  bad(["--keep-every", "10"], /--keep-every needs --keep N/);
  bad(["--dev", "0.6", "--test", "0.5"], /leave no sentence pairs for training/);
  bad(["--init", "a", "--resume", "b"], /give one/);
  bad(["--lr", "-1"], /--lr must be/);
});
