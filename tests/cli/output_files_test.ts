// Output files: a path checked before any work (folder, existing file, missing folder),
// written atomically, and rescued to a temporary file when its folder has gone.
import { equal, ok, throws } from "node:assert/strict";
import { checkOutputPath, writeAtomic, writeOrRescue } from "../../src/cli/output_files.ts";

Deno.test("a path is checked before the work", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const opts = { flag: "--out", replace: false, hint: "pass --force" };
    checkOutputPath(`${dir}/new.bin`, opts);
    await Deno.writeTextFile(`${dir}/old.bin`, "x");
    throws(() => checkOutputPath(`${dir}/old.bin`, opts), /already exists; pass --force/);
    checkOutputPath(`${dir}/old.bin`, { ...opts, replace: true });
    throws(() => checkOutputPath(dir, opts), /is a folder; name a file/);
    throws(() => checkOutputPath(`${dir}/none/x.bin`, opts), /the folder .* does not exist/);
    throws(() => checkOutputPath("", opts), /must name a file/);
    equal([...Deno.readDirSync(dir)].length, 1); // the probe left nothing behind
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writes are atomic; a write whose folder has gone is rescued", async () => {
  const dir = await Deno.makeTempDir();
  try {
    writeAtomic(`${dir}/a.txt`, "hello");
    equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
    const r = writeOrRescue(`${dir}/gone/b.bin`, new Uint8Array([1, 2]));
    ok(r.problem && r.path !== `${dir}/gone/b.bin`, JSON.stringify(r));
    equal((await Deno.readFile(r.path)).length, 2);
    await Deno.remove(r.path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
