/**
 * The `metadata_props` of an ONNX file (ModelProto field 14: string pairs), where Ultralytics'
 * exports keep their class names, image size, stride and task. ONNX Runtime for Node does not
 * expose them, so the file's top-level protobuf fields are walked here: each field's header is
 * read and the graph (weights, megabytes) is skipped by its length, never read.
 */
import { open, type FileHandle } from "node:fs/promises";

const METADATA_PROPS_FIELD = 14;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** The string pairs of the model's `metadata_props`, in file order (a repeated key: the last wins). */
export async function readOnnxMetadata(path: string): Promise<Record<string, string>> {
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    const metadata: Record<string, string> = {};
    let position = 0;
    while (position < size) {
      const [key, afterKey] = await readVarint(file, position);
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (wire === WIRE_VARINT) position = (await readVarint(file, afterKey))[1];
      else if (wire === WIRE_FIXED64) position = afterKey + 8;
      else if (wire === WIRE_FIXED32) position = afterKey + 4;
      else if (wire === WIRE_LENGTH_DELIMITED) {
        const [length, start] = await readVarint(file, afterKey);
        position = start + Number(length);
        if (field === METADATA_PROPS_FIELD) {
          const [name, value] = stringPair(await readBytes(file, start, Number(length)));
          metadata[name] = value;
        }
      } else throw new Error(`${path} is not an ONNX model (wire type ${wire} at byte ${position})`);
    }
    return metadata;
  } finally {
    await file.close();
  }
}

async function readBytes(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  const { bytesRead } = await file.read(bytes, 0, length, position);
  if (bytesRead !== length) throw new Error(`the ONNX file ends inside a field at byte ${position}`);
  return bytes;
}

async function readVarint(file: FileHandle, position: number): Promise<[value: bigint, next: number]> {
  const bytes = new Uint8Array(10);
  const { bytesRead } = await file.read(bytes, 0, 10, position);
  return decodeVarint(bytes.subarray(0, bytesRead), 0, position);
}

function decodeVarint(bytes: Uint8Array, offset: number, base = 0): [value: bigint, next: number] {
  let value = 0n;
  for (let i = offset, shift = 0n; i < bytes.length; i++, shift += 7n) {
    value |= BigInt(bytes[i] & 0x7f) << shift;
    if ((bytes[i] & 0x80) === 0) return [value, base + i + 1];
  }
  throw new Error(`the ONNX file ends inside a number at byte ${base + offset}`);
}

/** A StringStringEntryProto: `key` (field 1) and `value` (field 2). */
function stringPair(bytes: Uint8Array): [name: string, value: string] {
  const text = new TextDecoder();
  let name = "";
  let value = "";
  let offset = 0;
  while (offset < bytes.length) {
    const [key, afterKey] = decodeVarint(bytes, offset);
    const [length, start] = decodeVarint(bytes, afterKey);
    const end = start + Number(length);
    if (key === BigInt((1 << 3) | WIRE_LENGTH_DELIMITED)) name = text.decode(bytes.subarray(start, end));
    else if (key === BigInt((2 << 3) | WIRE_LENGTH_DELIMITED)) value = text.decode(bytes.subarray(start, end));
    offset = end;
  }
  return [name, value];
}
