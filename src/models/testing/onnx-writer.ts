/**
 * Just enough of the ONNX protobuf format (onnx.proto: ModelProto, GraphProto, NodeProto,
 * TensorProto, ValueInfoProto, AttributeProto) to write small graphs from TypeScript, so tests
 * can build genuine models without Python or a download. Field numbers are onnx.proto's.
 */

type Chunk = Uint8Array;

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType];

function varint(value: number | bigint): Chunk {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(bytes);
}

function concat(chunks: readonly Chunk[]): Chunk {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const key = (field: number, wire: number): Chunk => varint((field << 3) | wire);
const intField = (field: number, value: number | bigint): Chunk => concat([key(field, WIRE_VARINT), varint(value)]);
const bytesField = (field: number, bytes: Chunk): Chunk => concat([key(field, WIRE_LENGTH_DELIMITED), varint(bytes.length), bytes]);
const stringField = (field: number, text: string): Chunk => bytesField(field, new TextEncoder().encode(text));
function floatField(field: number, value: number): Chunk {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return concat([key(field, WIRE_FIXED32), bytes]);
}

export interface Tensor {
  name: string;
  type: TensorTypeCode;
  dims: readonly number[];
  /** Little-endian element bytes. */
  raw: Uint8Array;
}

export type Attribute =
  { kind: "int"; value: number } | { kind: "ints"; value: readonly number[] } | { kind: "float"; value: number } | { kind: "tensor"; value: Tensor };

export interface Node {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, Attribute>>;
}

export interface ValueInfo {
  name: string;
  type: TensorTypeCode;
  /** Numbers are fixed dimensions, strings symbolic ones (`"batch_size"`). */
  shape: readonly (number | string)[];
}

export interface Graph {
  name: string;
  nodes: readonly Node[];
  initializers: readonly Tensor[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

function encodeTensor(tensor: Tensor): Chunk {
  return concat([...tensor.dims.map((dim) => intField(1, dim)), intField(2, tensor.type), stringField(8, tensor.name), bytesField(9, tensor.raw)]);
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, tensor: 4, ints: 7 } as const;

function encodeAttribute(name: string, attribute: Attribute): Chunk {
  const parts = [stringField(1, name), intField(20, ATTRIBUTE_TYPE[attribute.kind])];
  switch (attribute.kind) {
    case "float":
      parts.push(floatField(2, attribute.value));
      break;
    case "int":
      parts.push(intField(3, attribute.value));
      break;
    case "tensor":
      parts.push(bytesField(5, encodeTensor(attribute.value)));
      break;
    case "ints":
      parts.push(...attribute.value.map((value) => intField(8, value)));
      break;
  }
  return concat(parts);
}

function encodeNode(node: Node, index: number): Chunk {
  return concat([
    ...node.inputs.map((input) => stringField(1, input)),
    ...node.outputs.map((output) => stringField(2, output)),
    stringField(3, `${node.op}_${index}`),
    stringField(4, node.op),
    ...Object.entries(node.attributes ?? {}).map(([name, attribute]) => bytesField(5, encodeAttribute(name, attribute))),
  ]);
}

function encodeValueInfo(info: ValueInfo): Chunk {
  const dims = info.shape.map((dim) => bytesField(1, typeof dim === "number" ? intField(1, dim) : stringField(2, dim)));
  const tensorType = concat([intField(1, info.type), bytesField(2, concat(dims))]);
  return concat([stringField(1, info.name), bytesField(2, bytesField(1, tensorType))]);
}

function encodeGraph(graph: Graph): Chunk {
  return concat([
    ...graph.nodes.map((node, i) => bytesField(1, encodeNode(node, i))),
    stringField(2, graph.name),
    ...graph.initializers.map((tensor) => bytesField(5, encodeTensor(tensor))),
    ...graph.inputs.map((info) => bytesField(11, encodeValueInfo(info))),
    ...graph.outputs.map((info) => bytesField(12, encodeValueInfo(info))),
  ]);
}

/**
 * A ModelProto at IR version 8 importing the default domain at `opset`; `metadata` becomes its
 * `metadata_props` (string pairs, where Ultralytics' exports keep class names and image size).
 */
export function encodeModel(graph: Graph, opset = 17, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const opsetImport = concat([stringField(1, ""), intField(2, opset)]);
  const props = Object.entries(metadata).map(([name, value]) => bytesField(14, concat([stringField(1, name), stringField(2, value)])));
  return concat([intField(1, 8), stringField(2, "sightline"), bytesField(8, opsetImport), bytesField(7, encodeGraph(graph)), ...props]);
}

/** Tensor helpers: typed values → little-endian raw bytes. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return { name, type: TensorType.FLOAT, dims, raw: littleEndian(Float32Array.from(values)) };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): Tensor {
  return { name, type: TensorType.INT64, dims, raw: littleEndian(BigInt64Array.from(values, (v) => BigInt(v))) };
}

export function int8Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return { name, type: TensorType.INT8, dims, raw: new Uint8Array(Int8Array.from(values).buffer) };
}

function littleEndian(values: Float32Array | BigInt64Array): Uint8Array {
  // Every platform Node runs on here is little-endian, which is ONNX's raw_data order.
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
