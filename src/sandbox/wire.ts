/**
 * Host values ↔ the tagged wire form. Inputs may hold JSON-like data, Dates, typed arrays and
 * `WorkflowImage`s; anything else is refused with its path rather than guessed at. Returned
 * images get their lineage back here, where the input images are known.
 */
import { randomUUID } from "node:crypto";
import { WorkflowImage } from "../images/index.js";
import { SandboxDataError } from "./errors.js";
import { MAX_NESTING, childPath, isTypedArrayName, type TypedArray, type TypedArrayName, type WireImage, type WireObject, type WireValue } from "./protocol.js";

function refuse(path: string, problem: string): never {
  throw new SandboxDataError({ reason: "data", phase: "run", path, problem });
}

function describeObject(value: object): string {
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = prototype?.constructor?.name;
  return typeof name === "string" && name !== "" ? `a ${name}` : "an object with a custom prototype";
}

/** The named inputs as one wire object, plus the images among them (for lineage on the way back). */
export function inputsToWire(inputs: Readonly<Record<string, unknown>>): {
  wire: WireObject;
  images: WorkflowImage[];
} {
  const images: WorkflowImage[] = [];
  const wire = toWire(inputs, "inputs", 0, new Set(), images);
  if (typeof wire !== "object" || wire === null || wire.t !== "object") {
    return refuse("inputs", "must be an object of named inputs");
  }
  return { wire, images };
}

function toWire(value: unknown, path: string, depth: number, ancestors: Set<object>, images: WorkflowImage[]): WireValue {
  switch (typeof value) {
    case "undefined":
    case "boolean":
    case "number":
    case "string":
      return value;
    case "object":
      break;
    default:
      return refuse(path, `is a ${typeof value}, which cannot enter the sandbox`);
  }
  if (value === null) return null;
  if (value instanceof WorkflowImage) {
    images.push(value);
    return imageToWire(value);
  }
  if (value instanceof Date) return { t: "date", ms: value.getTime() };
  if (ArrayBuffer.isView(value)) {
    const name = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    if (typeof name !== "string" || !isTypedArrayName(name)) return refuse(path, `is ${describeObject(value)}, which cannot enter the sandbox`);
    return { t: "typed", name, bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) };
  }
  if (depth >= MAX_NESTING) return refuse(path, `is nested deeper than ${MAX_NESTING} levels`);
  if (ancestors.has(value)) return refuse(path, "refers back to itself (a cycle cannot enter the sandbox)");
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return { t: "array", items: value.map((item, index) => toWire(item, childPath(path, index), depth + 1, ancestors, images)) };
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      return refuse(path, `is ${describeObject(value)}; only plain objects, arrays, Dates, typed arrays and images can enter the sandbox`);
    }
    const entries: [string, WireValue][] = Object.keys(value).map((key) => [
      key,
      toWire((value as Record<string, unknown>)[key], childPath(path, key), depth + 1, ancestors, images),
    ]);
    return { t: "object", entries };
  } finally {
    ancestors.delete(value);
  }
}

function imageToWire(image: WorkflowImage): WireImage {
  const metadata = image.videoMetadata;
  return {
    t: "image",
    width: image.width,
    height: image.height,
    data: image.data,
    parentId: image.parentId,
    videoMetadata: {
      video_identifier: metadata.video_identifier,
      frame_number: metadata.frame_number,
      frame_timestamp_ms: metadata.frame_timestamp.getTime(),
      fps: metadata.fps,
      measured_fps: metadata.measured_fps,
      comes_from_video_file: metadata.comes_from_video_file,
    },
  };
}

const TYPED_ARRAYS: Record<TypedArrayName, { new (buffer: ArrayBuffer, offset: number, length: number): TypedArray; BYTES_PER_ELEMENT: number }> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** A returned wire value as a host value; `undefined` becomes `null`, like a missing Python value. */
export function outputFromWire(value: WireValue, inputImages: readonly WorkflowImage[]): unknown {
  if (value === undefined) return null;
  if (value === null || typeof value !== "object") return value;
  switch (value.t) {
    case "array":
      return value.items.map((item) => outputFromWire(item, inputImages));
    case "object": {
      const object: Record<string, unknown> = {};
      for (const [key, item] of value.entries) {
        const converted = outputFromWire(item, inputImages);
        // A plain assignment of `__proto__` would set the prototype of the host object.
        if (key === "__proto__") {
          Object.defineProperty(object, key, { value: converted, writable: true, enumerable: true, configurable: true });
        } else {
          object[key] = converted;
        }
      }
      return object;
    }
    case "typed": {
      const constructor = TYPED_ARRAYS[value.name];
      const { bytes } = value;
      return new constructor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / constructor.BYTES_PER_ELEMENT);
    }
    case "date":
      return new Date(value.ms);
    case "image":
      return imageFromWire(value, inputImages);
  }
}

/**
 * `parent_id` is the code's statement of lineage, as upstream's `parent_metadata` is: an image
 * keeping an input's parent id descends from that input (the very same `WorkflowImage` when the
 * pixels are unchanged, otherwise the input's lineage with new pixels); a missing or null
 * `parent_id` makes a new image with a fresh id; another string is taken as the new image's id.
 */
function imageFromWire(image: WireImage, inputImages: readonly WorkflowImage[]): WorkflowImage {
  const { width, height, data, parentId } = image;
  if (parentId === null) return new WorkflowImage({ width, height, data, parentId: randomUUID() });
  const relatives = inputImages.filter((input) => input.parentId === parentId);
  const unchanged = relatives.find((input) => input.width === width && input.height === height && sameBytes(input.data, data));
  if (unchanged) return unchanged;
  const origin = relatives[0];
  if (origin) return origin.withPixels(width, height, data);
  return new WorkflowImage({ width, height, data, parentId });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
