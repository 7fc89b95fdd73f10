/**
 * Line-by-line input and output for the command-line tools: input is read as it comes
 * and handed out in windows of lines (a full window, or whatever has arrived when the
 * input pauses), so a long pipe is processed in bounded memory and an interactive one
 * gets answers at once; output is written in order, in one write per window.
 * @module
 */

/** One input line and its 0-based number; `problem` says why it cannot be used. */
export interface Line {
  /** The text, without its line break. */
  text: string;
  /** 0-based line number. */
  index: number;
  /** Set when the line is refused before translation (too long). */
  problem?: string;
}

/** Lines handed out together at most (they are sorted by length inside a window). */
export const WINDOW_LINES = 256;
/** Longest line kept; longer ones are reported, not buffered. */
export const MAX_LINE_CHARS = 100_000;
/** How long the input may pause before the lines read so far are handed out. */
export const IDLE_MS = 20;

/** Lines of the first window: small, so the first answers come quickly. */
export const FIRST_WINDOW_LINES = 16;

/**
 * Windows of lines from a byte stream (UTF-8; invalid bytes become U+FFFD), in order.
 * A window is yielded when it is full, when the input pauses for {@linkcode IDLE_MS}
 * with lines waiting, and at the end. Windows start at {@linkcode FIRST_WINDOW_LINES}
 * lines and double up to `window`.
 */
export async function* stdinWindows(
  readable: ReadableStream<Uint8Array>,
  window = WINDOW_LINES,
): AsyncGenerator<Line[]> {
  const reader = readable.pipeThrough(new TextDecoderStream()).getReader();
  const queue: Line[] = [];
  let pending = "", index = 0, tooLong = false;
  let size = Math.min(FIRST_WINDOW_LINES, window);
  const take = (n: number) => {
    const out = queue.splice(0, n);
    size = Math.min(window, size * 2);
    return out;
  };
  const endLine = () => {
    queue.push(
      tooLong
        ? {
          text: "",
          index,
          problem: `longer than ${MAX_LINE_CHARS} characters; not translated`,
        }
        : pending.includes("\uFFFD")
        // The decoder turned bytes that are not UTF-8 into U+FFFD.
        ? { text: "", index, problem: "is not UTF-8 text; not translated" }
        : { text: pending.endsWith("\r") ? pending.slice(0, -1) : pending, index },
    );
    index++;
    pending = "";
    tooLong = false;
  };
  const add = (chunk: string) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      if (!tooLong) {
        pending += chunk.slice(start, nl < 0 ? undefined : nl);
        if (pending.length > MAX_LINE_CHARS) {
          tooLong = true;
          pending = "";
        }
      }
      if (nl < 0) return;
      endLine();
      start = nl + 1;
    }
  };
  let next: Promise<ReadableStreamReadResult<string>> | undefined = reader.read();
  while (next) {
    let result: ReadableStreamReadResult<string> | null;
    if (queue.length) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), IDLE_MS));
      result = await Promise.race([next, idle]);
      clearTimeout(timer);
      if (result === null) {
        yield take(size); // the input paused: answer what has arrived
        continue;
      }
    } else result = await next;
    if (result.done) {
      next = undefined;
      if (pending || tooLong) endLine();
    } else {
      add(result.value);
      next = reader.read();
    }
    while (queue.length >= size) yield take(size);
  }
  while (queue.length) yield take(size);
}

/** Buffers output lines and writes them to stdout in one go; a closed pipe ends quietly. */
export class LineWriter {
  #lines: string[] = [];

  /** Adds a line (without its line break). */
  line(text: string): void {
    this.#lines.push(text);
  }

  /** Writes the buffered lines. When the reader has gone (`| head`), exits with 0. */
  flush(): void {
    if (!this.#lines.length) return;
    const bytes = new TextEncoder().encode(this.#lines.join("\n") + "\n");
    this.#lines = [];
    try {
      let at = 0;
      while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
    } catch (e) {
      if (e instanceof Deno.errors.BrokenPipe) Deno.exit(0);
      throw e;
    }
  }
}
