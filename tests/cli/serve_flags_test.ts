// serve.ts's flags: defaults, bounds, and an API key file that holds no key.
import { equal, rejects } from "node:assert/strict";
import { readServeFlags, type ServeFlags } from "../../src/cli/serve_flags.ts";

Deno.test("defaults and bounds", async () => {
  equal(await readServeFlags(["--help"]), "help");
  const f = await readServeFlags([]) as ServeFlags;
  equal(f.port, 5000);
  equal(f.host, "127.0.0.1");
  equal(f.charLimit, 5000);
  equal(f.bodyTimeoutMs, 10_000);
  equal(f.shortlist, false);
  equal((await readServeFlags(["--shortlist"]) as ServeFlags).shortlist, true);
  equal((await readServeFlags(["--no-shortlist"]) as ServeFlags).shortlist, false);
  await rejects(readServeFlags(["--shortlist", "--no-shortlist"]), /contradict/);
  await rejects(readServeFlags(["--port", "70000"]), /--port must be/);
  await rejects(readServeFlags(["--body-timeout", "0"]), /--body-timeout must be/);
});

Deno.test("an API key file is read; an empty one is refused", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "k1\n\n  k2 \n");
    const f = await readServeFlags(["--api-keys", file]) as ServeFlags;
    equal([...f.apiKeys!].join(","), "k1,k2");
    await Deno.writeTextFile(file, "\n");
    await rejects(readServeFlags(["--api-keys", file]), /holds no API key/);
  } finally {
    await Deno.remove(file);
  }
});
