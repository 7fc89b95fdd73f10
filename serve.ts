/**
 * A translation server that LibreTranslate clients can use: the shipped model behind
 * LibreTranslate's HTTP API, with dynamic batching (requests arriving together are
 * translated together), bounded memory and a graceful stop.
 *
 *   deno run --allow-net serve.ts                       http://127.0.0.1:5000
 *   curl -s localhost:5000/translate -H 'content-type: application/json' \
 *     -d '{"q": "Where is the bathroom?", "source": "en", "target": "es"}'
 *
 * SIGINT/SIGTERM finish the requests in flight (a request that arrives meanwhile gets 503),
 * then stop accepting connections and exit.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { runCli } from "./src/cli/run.ts";
import { readServeFlags, SERVE_HELP } from "./src/cli/serve_flags.ts";
import { servedPairs, serveUntilStopped } from "./src/cli/serve_run.ts";
import { createHandler } from "./src/server/libretranslate.ts";

async function main(args: string[]): Promise<number> {
  const flags = await readServeFlags(args);
  if (flags === "help") {
    console.log(SERVE_HELP);
    return 0;
  }
  const { pairs, described } = await servedPairs(flags);
  const handler = createHandler({
    pairs,
    charLimit: flags.charLimit,
    apiKeys: flags.apiKeys,
    bodyTimeoutMs: flags.bodyTimeoutMs,
    log: flags.quiet ? undefined : (line) => console.error(line),
  });
  await serveUntilStopped(flags, handler, described, pairs);
  await pairs.close();
  console.error("Stopped.");
  return 0;
}

if (import.meta.main) await runCli("serve", main);
