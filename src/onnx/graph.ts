/**
 * An ONNX graph under construction and its serialization to a ModelProto: inputs,
 * outputs, initializers (weights) and nodes, the messages and field numbers of
 * `onnx.proto3` that a model needs and nothing else.
 * See: https://github.com/onnx/onnx/blob/main/onnx/onnx.proto3
 * @module
 */
import { ProtoWriter } from "./protobuf.ts";

/** Element types used here, by their TensorProto.DataType numbers. */
export const DTYPES = { float32: 1, int8: 3, int64: 7, bool: 9 } as const;

/** An element type of a graph value. */
export type DType = keyof typeof DTYPES;

/** A node attribute: an integer, integers, a string, a float (`{ float }`) or a tensor. */
export type Attr = number | readonly number[] | string | { float: number } | {
  tensor: TensorData;
};

/** Bytes of a tensor with its type and shape. */
export interface TensorData {
  dtype: DType;
  dims: readonly number[];
  data: Float32Array | Int8Array | BigInt64Array | Uint8Array;
}

/** A dimension of a graph input or output: a size, or a name for a size given at run time. */
export type Dim = number | string;

interface Node {
  op: string;
  inputs: readonly string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

function tensorProto(name: string, t: TensorData): ProtoWriter {
  const w = new ProtoWriter().packedInts(1, t.dims).int(2, DTYPES[t.dtype]).bytes(8, name);
  // raw_data is little-endian, as typed arrays are on every host this runs on.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(name: string, dtype: DType, dims: readonly Dim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.bytes(
      1,
      typeof d === "number" ? new ProtoWriter().int(1, d) : new ProtoWriter().bytes(2, d),
    );
  }
  const tensorType = new ProtoWriter().int(1, DTYPES[dtype]).bytes(2, shape);
  return new ProtoWriter().bytes(1, name).bytes(2, new ProtoWriter().bytes(1, tensorType));
}

function attribute(name: string, a: Attr): ProtoWriter {
  const w = new ProtoWriter().bytes(1, name);
  // AttributeProto.type: FLOAT 1, INT 2, STRING 3, TENSOR 4, INTS 7.
  if (typeof a === "number") return w.int(3, a).int(20, 2);
  if (typeof a === "string") return w.bytes(4, a).int(20, 3);
  if (Array.isArray(a)) return w.packedInts(8, a as number[]).int(20, 7);
  if ("float" in (a as object)) return w.float(2, (a as { float: number }).float).int(20, 1);
  return w.bytes(5, tensorProto("", (a as { tensor: TensorData }).tensor)).int(20, 4);
}

/**
 * A graph being built: every method returns the name of the value it made, so
 * building reads like the computation.
 *
 * @example
 * ```ts ignore
 * const g = new OnnxGraph("double");
 * const x = g.input("x", "float32", ["n"]);
 * g.output(g.op("Mul", [x, g.floats([2])]), "y", "float32", ["n"]);
 * const bytes = g.toModel();
 * ```
 */
export class OnnxGraph {
  readonly #nodes: Node[] = [];
  readonly #inputs: ProtoWriter[] = [];
  readonly #outputs: ProtoWriter[] = [];
  readonly #initializers: ProtoWriter[] = [];
  readonly #names = new Set<string>();
  #counter = 0;

  constructor(readonly name: string) {}

  #fresh(base: string): string {
    let n = base;
    while (this.#names.has(n)) n = `${base}_${++this.#counter}`;
    this.#names.add(n);
    return n;
  }

  /** A graph input. */
  input(name: string, dtype: DType, dims: readonly Dim[]): string {
    this.#claim(name);
    this.#inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  // A name the caller chose (an input's or output's, which other programs look up): two
  // values of one name make an invalid model, so a taken one is refused.
  #claim(name: string): void {
    if (this.#names.has(name)) {
      throw new RangeError(`ONNX graph ${this.name}: the name "${name}" is already taken`);
    }
    this.#names.add(name);
  }

  /** Makes `value` a graph output under `name` (through Identity when the names differ). */
  output(value: string, name: string, dtype: DType, dims: readonly Dim[]): void {
    if (value !== name) {
      this.#claim(name);
      this.#nodes.push({ op: "Identity", inputs: [value], outputs: [name], attrs: {} });
    }
    this.#outputs.push(valueInfo(name, dtype, dims));
  }

  /** A constant tensor stored in the file (weights). */
  initializer(name: string, t: TensorData): string {
    const n = this.#fresh(name);
    this.#initializers.push(tensorProto(n, t));
    return n;
  }

  /** A small float32 constant. */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer("const_f", { dtype: "float32", dims, data: Float32Array.from(values) });
  }

  /** A small int64 constant. */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer("const_i", { dtype: "int64", dims, data });
  }

  /** A node with `outputs` outputs; returns their names. */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    outputs = 1,
  ): string[] {
    const names = Array.from({ length: outputs }, () => this.#fresh(op.toLowerCase()));
    this.#nodes.push({ op, inputs, outputs: names, attrs });
    return names;
  }

  /** A node with one output; returns its name. */
  op(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /** The model file: this graph with its opset, as ONNX's ModelProto bytes. */
  toModel(
    opts: { opset?: number; irVersion?: number; producer?: string; doc?: string } = {},
  ): Uint8Array {
    const graph = new ProtoWriter();
    this.#nodes.forEach((n, i) => {
      const w = new ProtoWriter();
      for (const x of n.inputs) w.bytes(1, x);
      for (const y of n.outputs) w.bytes(2, y);
      w.bytes(3, `${n.op}_${i}`).bytes(4, n.op);
      for (const [k, a] of Object.entries(n.attrs)) w.bytes(5, attribute(k, a));
      graph.bytes(1, w);
    });
    graph.bytes(2, this.name);
    for (const t of this.#initializers) graph.bytes(5, t);
    for (const v of this.#inputs) graph.bytes(11, v);
    for (const v of this.#outputs) graph.bytes(12, v);
    const model = new ProtoWriter().int(1, opts.irVersion ?? 8);
    model.bytes(2, opts.producer ?? "@vamos/transformer").bytes(3, "0.1.0");
    if (opts.doc) model.bytes(6, opts.doc);
    model.bytes(7, graph);
    model.bytes(8, new ProtoWriter().bytes(1, "").int(2, opts.opset ?? 17));
    return model.finish();
  }
}
