// Takes a safetensors file apart and puts it back together, so tests can change its
// header (JSON) or data section the way a corrupt or hostile file would.

/** A file's header as parsed JSON and its data section. */
export interface FileParts {
  // deno-lint-ignore no-explicit-any
  header: Record<string, any>;
  data: Uint8Array;
}

/** The header and data of a well-formed file. */
export function splitFile(bytes: Uint8Array): FileParts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return { header, data: bytes.slice(8 + n) };
}

/** A file from a header (any JSON value, or raw text) and data. */
export function joinFile(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The file with its header changed by `edit` (which may return a replacement). */
export function editHeader(
  bytes: Uint8Array,
  // deno-lint-ignore no-explicit-any
  edit: (header: Record<string, any>) => unknown,
): Uint8Array {
  const { header, data } = splitFile(bytes);
  const replaced = edit(header);
  return joinFile(replaced === undefined ? header : replaced, data);
}

/** The file with one metadata value changed (deleted when `value` is undefined). */
export function editMetadata(bytes: Uint8Array, key: string, value: unknown): Uint8Array {
  return editHeader(bytes, (h) => {
    if (value === undefined) delete h.__metadata__[key];
    else h.__metadata__[key] = value;
  });
}

/** The file with one field of the config in its metadata changed. */
export function editConfig(bytes: Uint8Array, field: string, value: unknown): Uint8Array {
  return editHeader(bytes, (h) => {
    const config = JSON.parse(h.__metadata__.config);
    if (value === undefined) delete config[field];
    else config[field] = value;
    h.__metadata__.config = JSON.stringify(config);
  });
}
