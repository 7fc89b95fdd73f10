// Reading stdin in windows: lines in order with their indices, CRLF, a missing last line
// break, lines that are not UTF-8 or too long marked with their problem, windows that
// grow, and a pause that yields what has arrived.
import { deepEqual, equal, ok } from "node:assert/strict";
import { FIRST_WINDOW_LINES, MAX_LINE_CHARS, stdinWindows } from "../../src/cli/lines.ts";

function stream(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(
    chunks.map((c) => typeof c === "string" ? new TextEncoder().encode(c) : c),
  );
}

async function windows(s: ReadableStream<Uint8Array>, size?: number) {
  const out = [];
  for await (const w of stdinWindows(s, size)) out.push(w);
  return out;
}

Deno.test("lines keep their order and index; CRLF and a last line without a break", async () => {
  const w = await windows(stream("to go\r\nlet's", " go\n\nlast"));
  deepEqual(w.flat(), [
    { text: "to go", index: 0 },
    { text: "let's go", index: 1 },
    { text: "", index: 2 },
    { text: "last", index: 3 },
  ]);
});

Deno.test("bytes that are not UTF-8, and an over-long line, come with their problem", async () => {
  const lines = (await windows(
    stream(new Uint8Array([0x68, 0xff, 0x0a]), "x".repeat(MAX_LINE_CHARS + 1) + "\nok\n"),
  )).flat();
  equal(lines[0].problem, "is not UTF-8 text; not translated");
  ok(lines[1].problem?.startsWith(`longer than ${MAX_LINE_CHARS} characters`));
  deepEqual(lines[2], { text: "ok", index: 2 });
});

Deno.test("windows start small and double", async () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") + "\n";
  const sizes = (await windows(stream(text), 64)).map((w) => w.length);
  equal(sizes[0], FIRST_WINDOW_LINES);
  equal(sizes.reduce((a, b) => a + b, 0), 100);
  ok(sizes.every((n) => n <= 64));
  ok(sizes[1] === 2 * FIRST_WINDOW_LINES);
});
