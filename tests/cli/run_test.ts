// What the tools share around their work: files named on the command line, read and
// written with one-line errors, and runCli's exit codes.
import { equal, rejects } from "node:assert/strict";
import {
  openForWriting,
  readFileForCli,
  runCli,
  UsageError,
  writeProblem,
} from "../../src/cli/run.ts";
import { VamosError } from "../../src/errors.ts";

Deno.test("files on the command line: missing, a folder, a missing folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(readFileForCli(`${dir}/none.tsv`, "data file"), /No such data file: .*none\.tsv/);
    await rejects(openForWriting(`${dir}/no/such/out.tsv`), /its folder does not exist/);
    const f = await openForWriting(`${dir}/out.tsv`);
    f.close();
    equal(
      writeProblem(dir, new Deno.errors.IsADirectory("x")),
      `Cannot write ${dir}: it is a folder`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCli: usage errors exit 2, the package's errors 1, a result its own code", async () => {
  const before = Deno.exitCode;
  try {
    await runCli("tool", () => Promise.reject(new UsageError("bad flag")));
    equal(Deno.exitCode, 2);
    await runCli("tool", () => Promise.reject(new VamosError("no such file")));
    equal(Deno.exitCode, 1);
    await runCli("tool", () => Promise.resolve(130));
    equal(Deno.exitCode, 130);
    await rejects(runCli("tool", () => Promise.reject(new TypeError("a bug"))), TypeError);
  } finally {
    Deno.exitCode = before;
  }
});
