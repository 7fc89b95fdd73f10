// Packs a checkpoint into a WebAssembly module whose data segment holds its bytes:
// models/<name>.safetensors → models/<name>_weights.wasm. An imported .wasm loads with
// no permission flag and in a fraction of the time base64 in a .ts module takes.
// `--check` fails if the committed .wasm is not exactly what the checkpoint gives.
//
//   deno run --allow-read --allow-write tools/embed_model.ts models/default.safetensors
//   deno run --allow-read --allow-write tools/embed_model.ts models/default.int8.safetensors models/default_weights.wasm

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[] | Uint8Array): Uint8Array {
  const head = [id, ...uleb(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function str(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

/** A module exporting `memory` (holding `bytes` at offset 0) and the i32 global `length`. */
export function dataModule(bytes: Uint8Array): Uint8Array {
  const pages = Math.max(1, Math.ceil(bytes.length / 65536));
  const parts = [
    new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
    section(5, [1, 0x00, ...uleb(pages)]),
    section(6, [1, 0x7f, 0x00, 0x41, ...sleb(bytes.length), 0x0b]),
    section(7, [2, ...str("memory"), 0x02, 0, ...str("length"), 0x03, 0]),
  ];
  const dataHead = [1, 0x00, 0x41, 0x00, 0x0b, ...uleb(bytes.length)];
  const data = new Uint8Array(dataHead.length + bytes.length);
  data.set(dataHead);
  data.set(bytes, dataHead.length);
  parts.push(section(11, data));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const [path, out] = Deno.args.filter((a) => !a.startsWith("--"));
  if (!path || !path.endsWith(".safetensors")) {
    console.error("usage: tools/embed_model.ts [--check] models/NAME.safetensors [OUT.wasm]");
    Deno.exit(2);
  }
  const target = out ?? path.replace(/\.safetensors$/, "_weights.wasm");
  const wasm = dataModule(await Deno.readFile(path));
  if (check) {
    const old = await Deno.readFile(target).catch(() => new Uint8Array());
    if (old.length !== wasm.length || old.some((b, i) => b !== wasm[i])) {
      console.error(`${target} is stale: run deno run -A tools/embed_model.ts ${path}`);
      Deno.exit(1);
    }
    console.log(`${target} is up to date.`);
  } else {
    await Deno.writeFile(target, wasm);
    console.log(`wrote ${target} (${wasm.length} bytes)`);
  }
}
