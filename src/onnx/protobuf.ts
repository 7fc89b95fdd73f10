/**
 * The few pieces of the protocol-buffer wire format an ONNX file needs, written by
 * hand so that exporting has no dependency: varints, length-delimited fields, fixed
 * 32-bit floats, packed repeated numbers.
 * See: https://protobuf.dev/programming-guides/encoding/
 * @module
 */

/** One message being written: fields are appended in the order they are given. */
export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #scratch: number[] = [];

  /** Bytes written so far. */
  get size(): number {
    return this.#size + this.#scratch.length;
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#size += bytes.length;
  }

  #flushScratch(): void {
    if (this.#scratch.length) {
      this.#push(Uint8Array.from(this.#scratch));
      this.#scratch = [];
    }
  }

  #varint(v: bigint | number): void {
    // Negative int64 values are their two's complement: ten bytes.
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.#scratch.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.#scratch.push(Number(x));
  }

  #key(field: number, wireType: number): void {
    this.#varint((field << 3) | wireType);
  }

  /** A varint field (int32, int64, enum, bool). */
  int(field: number, v: number | bigint): this {
    this.#key(field, 0);
    this.#varint(v);
    return this;
  }

  /** A 32-bit float field. */
  float(field: number, v: number): this {
    this.#key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.#scratch.push(...b);
    return this;
  }

  /** A length-delimited field: bytes, a string (UTF-8) or a nested message. */
  bytes(field: number, v: Uint8Array | string | ProtoWriter): this {
    this.#key(field, 2);
    if (v instanceof ProtoWriter) {
      v.#flushScratch();
      this.#varint(v.size);
      this.#flushScratch();
      for (const c of v.#chunks) this.#push(c);
      return this;
    }
    const b = typeof v === "string" ? new TextEncoder().encode(v) : v;
    this.#varint(b.length);
    this.#flushScratch();
    this.#push(b);
    return this;
  }

  /** A packed repeated varint field (repeated int64). */
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of vs) inner.#varint(v);
    return this.bytes(field, inner);
  }

  /** A packed repeated float field. */
  packedFloats(field: number, vs: readonly number[]): this {
    return this.bytes(field, new Uint8Array(Float32Array.from(vs).buffer));
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    this.#flushScratch();
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
