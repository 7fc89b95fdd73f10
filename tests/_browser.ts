// A headless Chromium driven over the DevTools protocol (a WebSocket, no dependency):
// open pages, evaluate expressions (awaiting promises), collect console messages and
// uncaught exceptions. Only the browser process started here is ever stopped.

/** The Chromium binary: $CHROME, or Debian's. */
export function chromiumPath(): string | undefined {
  for (const p of [Deno.env.get("CHROME"), "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (!p) continue;
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not there
    }
  }
  return undefined;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/** A console message or uncaught exception seen on a page. */
export interface ConsoleEntry {
  type: string;
  text: string;
}

/** One tab. */
export class Page {
  readonly console: ConsoleEntry[] = [];
  constructor(readonly browser: Browser, readonly sessionId: string) {}

  /** Evaluates an expression in the page, awaiting a promise; returns its JSON value. */
  async evaluate<T>(expression: string, timeoutMs = 60_000): Promise<T> {
    const r = await this.browser.send(
      "Runtime.evaluate",
      {
        expression,
        awaitPromise: true,
        returnByValue: true,
        timeout: timeoutMs,
      },
      this.sessionId,
      timeoutMs + 5000,
    );
    const details = r.exceptionDetails as
      | { exception?: { description?: string }; text?: string }
      | undefined;
    if (details) {
      throw new Error(`in the page: ${details.exception?.description ?? details.text}`);
    }
    return (r.result as { value: T }).value;
  }

  /** Waits until `expression` is truthy in the page (polling), or throws after timeoutMs. */
  async waitFor(expression: string, timeoutMs = 60_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      try {
        if (await this.evaluate<boolean>(`!!(${expression})`)) return;
      } catch {
        // the page is still loading
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${expression}`);
  }

  /** Errors seen so far: console.error calls and uncaught exceptions. */
  get errors(): ConsoleEntry[] {
    return this.console.filter((e) => e.type === "error" || e.type === "exception");
  }

  /** A PNG screenshot of the page (the whole page with `full`, not only the viewport). */
  async screenshot(full = false): Promise<Uint8Array> {
    const r = await this.browser.send(
      "Page.captureScreenshot",
      { format: "png", captureBeyondViewport: full },
      this.sessionId,
    );
    const bin = atob(r.data as string);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
}

/** A headless Chromium process and its DevTools connection. */
export class Browser {
  #id = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #pages = new Map<string, Page>();

  private constructor(
    readonly process: Deno.ChildProcess,
    readonly socket: WebSocket,
    readonly profile: string,
  ) {
    socket.onmessage = (e) => {
      const msg = JSON.parse(e.data as string);
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result);
        return;
      }
      const page = msg.sessionId ? this.#pages.get(msg.sessionId) : undefined;
      if (!page) return;
      if (msg.method === "Runtime.consoleAPICalled") {
        const text = msg.params.args.map((a: { value?: unknown; description?: string }) =>
          a.value !== undefined ? String(a.value) : a.description ?? ""
        ).join(" ");
        page.console.push({ type: msg.params.type, text });
      } else if (msg.method === "Runtime.exceptionThrown") {
        const d = msg.params.exceptionDetails;
        page.console.push({ type: "exception", text: d.exception?.description ?? d.text });
      } else if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error") {
        page.console.push({ type: "error", text: msg.params.entry.text });
      }
    };
  }

  /** Starts Chromium headless with a fresh profile. */
  static async launch(binary = chromiumPath()): Promise<Browser> {
    if (!binary) throw new Error("no Chromium found (apt-get install -y chromium, or set CHROME)");
    const profile = await Deno.makeTempDir({ prefix: "vamos-chromium-" });
    const process = new Deno.Command(binary, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-dev-shm-usage",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let ws: string | undefined;
    const deadline = setTimeout(() => process.kill("SIGKILL"), 30_000);
    while (!ws) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Chromium exited: ${seen}`);
      seen += value;
      ws = /DevTools listening on (ws:\/\/\S+)/.exec(seen)?.[1];
    }
    clearTimeout(deadline);
    // Keep draining stderr so Chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        // closed
      }
    })();
    const socket = new WebSocket(ws);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("cannot connect to Chromium's DevTools"));
    });
    return new Browser(process, socket, profile);
  }

  /** Sends a DevTools command and awaits its result. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
    timeoutMs = 60_000,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Opens `url` in a new tab (of `viewport` CSS pixels) and waits for it to load. */
  async open(url: string, viewport?: { width: number; height: number }): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId as string);
    this.#pages.set(sessionId as string, page);
    await this.send("Runtime.enable", {}, page.sessionId);
    await this.send("Log.enable", {}, page.sessionId);
    await this.send("Page.enable", {}, page.sessionId);
    if (viewport) {
      await this.send("Emulation.setDeviceMetricsOverride", {
        ...viewport,
        deviceScaleFactor: 1,
        mobile: viewport.width < 600,
      }, page.sessionId);
    }
    await this.send("Page.navigate", { url }, page.sessionId);
    await page.waitFor(`document.readyState === "complete" && location.href !== "about:blank"`);
    return page;
  }

  /** Closes the connection and stops this Chromium. */
  async close(): Promise<void> {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    try {
      this.process.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.process.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}
