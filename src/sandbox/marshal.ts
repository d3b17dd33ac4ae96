/**
 * Copying values across the QuickJS heap's edge: a call's inputs in as new guest values, and its
 * result out as wire values. Everything the guest hands back is read defensively: reading may
 * run guest getters (under the call's deadline), and every shape is validated before it becomes
 * a host value. Both directions allocate in the guest's heap, so both ask for room first.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import { GuestFailure, dataFailure, limitFailure, sandboxError } from "./guest-failure.js";
import type { PreludeHelper } from "./prelude.js";
import {
  MAX_NESTING,
  childPath,
  isTypedArrayName,
  type SandboxPhase,
  type TypedArrayName,
  type WireImage,
  type WireObject,
  type WireValue,
} from "./protocol.js";

/** What copying values needs of the running VM (`GuestVm` provides it). */
export interface GuestAccess {
  readonly context: QuickJSContext;
  /** Calls one of the prelude's helpers and disposes the arguments. */
  callHelper(name: PreludeHelper, ...args: QuickJSHandle[]): QuickJSHandle;
  /** Throws the memory limit's failure unless the guest's heap can still give `bytes`. */
  ensureHeap(bytes: number): void;
  /** Throws the time limit's failure once the call's deadline has passed. */
  checkDeadline(): void;
  /** Whether the deadline's interrupt stopped guest code (a getter, say) during this call. */
  wasInterrupted(): boolean;
  /** The phase failures are reported in. */
  phase(): SandboxPhase;
  /** The time limit's failure, in the current phase. */
  timeFailure(): GuestFailure;
  /** The memory limit's failure, in the current phase. */
  memoryFailure(): GuestFailure;
}

const MIB = 1024 * 1024;

// ---- values in ---------------------------------------------------------------------------

/** The call's inputs as a new guest object (the caller disposes it). */
export function importInputs(guest: GuestAccess, inputs: WireObject): QuickJSHandle {
  // Copying in allocates in the guest's memory, twice for buffers (the glue's copy, then QuickJS's).
  guest.ensureHeap(2 * wireBytes(inputs) + MIB);
  try {
    return importValue(guest, inputs);
  } catch (error) {
    if (error instanceof GuestFailure) throw error;
    throw guest.memoryFailure();
  }
}

/** A host value as a new guest value (the caller disposes it). */
function importValue(guest: GuestAccess, value: WireValue): QuickJSHandle {
  const ctx = guest.context;
  if (value === null) return ctx.null;
  if (value === undefined) return ctx.undefined;
  if (typeof value === "boolean") return value ? ctx.true : ctx.false;
  if (typeof value === "number") return ctx.newNumber(value);
  if (typeof value === "string") return allocated(guest, ctx.newString(value), "string");
  switch (value.t) {
    case "array": {
      const array = allocated(guest, ctx.newArray(), "object");
      value.items.forEach((item, index) => setProperty(guest, array, index, importValue(guest, item)));
      return array;
    }
    case "object": {
      const object = allocated(guest, ctx.newObject(), "object");
      for (const [key, item] of value.entries) setProperty(guest, object, key, importValue(guest, item));
      return object;
    }
    case "typed":
      return importBytes(guest, value.name, value.bytes);
    case "date":
      return guest.callHelper("makeDate", ctx.newNumber(value.ms));
    case "image":
      return importImage(guest, value);
  }
}

function importImage(guest: GuestAccess, image: WireImage): QuickJSHandle {
  const metadata = image.videoMetadata;
  return importValue(guest, {
    t: "object",
    entries: [
      ["width", image.width],
      ["height", image.height],
      ["data", { t: "typed", name: "Uint8Array", bytes: image.data }],
      ["parent_id", image.parentId],
      [
        "video_metadata",
        metadata && {
          t: "object",
          entries: [
            ["video_identifier", metadata.video_identifier],
            ["frame_number", metadata.frame_number],
            ["frame_timestamp", { t: "date", ms: metadata.frame_timestamp_ms }],
            ["fps", metadata.fps],
            ["measured_fps", metadata.measured_fps],
            ["comes_from_video_file", metadata.comes_from_video_file],
          ],
        },
      ],
    ],
  });
}

function importBytes(guest: GuestAccess, name: TypedArrayName, bytes: Uint8Array): QuickJSHandle {
  const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
  return guest.callHelper("makeTyped", guest.context.newString(name), guest.context.newArrayBuffer(exact));
}

/** Host-made strings and containers that hit the heap limit come back as exceptions, not values. */
function allocated(guest: GuestAccess, handle: QuickJSHandle, expected: "string" | "object"): QuickJSHandle {
  if (guest.context.typeof(handle) === expected) return handle;
  handle.dispose();
  throw guest.memoryFailure();
}

function setProperty(guest: GuestAccess, target: QuickJSHandle, key: string | number, value: QuickJSHandle): void {
  // Assigning `__proto__` would set the prototype instead of making a property.
  if (key === "__proto__") {
    guest.callHelper("defineData", target.dup(), guest.context.newString(key), value).dispose();
    return;
  }
  guest.context.setProp(target, key, value);
  value.dispose();
}

/** Roughly what copying `value` into the guest allocates. */
function wireBytes(value: WireValue): number {
  if (typeof value === "string") return 3 * value.length + 16;
  if (value === null || typeof value !== "object") return 16;
  switch (value.t) {
    case "array":
      return 16 + value.items.reduce((sum: number, item) => sum + wireBytes(item), 0);
    case "object":
      return 16 + value.entries.reduce((sum: number, [key, item]) => sum + 3 * key.length + 16 + wireBytes(item), 0);
    case "typed":
      return 64 + value.bytes.byteLength;
    case "image":
      return 1024 + value.data.byteLength;
    case "date":
      return 64;
  }
}

// ---- values out --------------------------------------------------------------------------

export interface ExportedOutput {
  readonly output: WireValue;
  /** Fresh buffers in `output`, to move (not copy) to the host. */
  readonly transfer: ArrayBuffer[];
}

/** A call's result as a wire value, at most `outputBytes` of it. */
export function exportOutput(guest: GuestAccess, result: QuickJSHandle, outputBytes: number): ExportedOutput {
  const reader = new OutputReader(guest, new OutputBudget(outputBytes));
  guest.ensureHeap(MIB);
  return { output: reader.value(result, "output", 0), transfer: reader.transfer };
}

/** Bytes a call's output may still take; counted as the output is copied out. */
class OutputBudget {
  private remaining: number;

  constructor(private readonly limit: number) {
    this.remaining = limit;
  }

  charge(bytes: number): void {
    this.remaining -= bytes;
    if (this.remaining < 0) throw limitFailure("run", "output_size", this.limit);
  }
}

/** Reads one result out of the guest, charging what it copies to the budget. */
class OutputReader {
  readonly transfer: ArrayBuffer[] = [];
  /** The containers being read, outermost first: a value among them is a cycle. */
  private readonly ancestors: QuickJSHandle[] = [];

  constructor(
    private readonly guest: GuestAccess,
    private readonly budget: OutputBudget,
  ) {}

  value(handle: QuickJSHandle, path: string, depth: number): WireValue {
    const { guest, budget } = this;
    const ctx = guest.context;
    const kind = this.classify(handle);
    switch (kind) {
      case "undefined":
      case "null":
        budget.charge(8);
        return null;
      case "boolean":
        budget.charge(8);
        return ctx.sameValue(handle, ctx.true);
      case "number":
        budget.charge(8);
        return ctx.getNumber(handle);
      case "string": {
        // Checked before copying: the string may be as large as the guest's whole heap.
        const length = ctx.getProp(handle, "length");
        const characters = ctx.getNumber(length);
        length.dispose();
        budget.charge(2 * characters);
        // Copied out as UTF-8 through the guest's heap.
        guest.ensureHeap(3 * characters + 1);
        return ctx.getString(handle);
      }
      case "date": {
        budget.charge(8);
        const ms = guest.callHelper("dateValue", handle.dup());
        try {
          return { t: "date", ms: ctx.getNumber(ms) };
        } finally {
          ms.dispose();
        }
      }
      case "array":
      case "object":
        break;
      default:
        if (isTypedArrayName(kind)) return this.typed(handle, kind, path);
        throw dataFailure(guest.phase(), path, unsupportedProblem(kind));
    }
    guest.checkDeadline();
    if (depth >= MAX_NESTING) throw dataFailure(guest.phase(), path, `is nested deeper than ${MAX_NESTING} levels`);
    if (this.ancestors.some((ancestor) => ctx.sameValue(ancestor, handle))) {
      throw dataFailure(guest.phase(), path, "refers back to itself (a cycle cannot leave the sandbox)");
    }
    this.ancestors.push(handle);
    try {
      return kind === "array" ? this.array(handle, path, depth) : this.object(handle, path, depth);
    } finally {
      this.ancestors.pop();
    }
  }

  private array(handle: QuickJSHandle, path: string, depth: number): WireValue {
    const length = this.lengthOf(handle);
    // Charged up front: a sparse `new Array(2 ** 32 - 1)` is cheap to make but not to walk.
    this.budget.charge(8 * length);
    const items: WireValue[] = [];
    for (let index = 0; index < length; index++) items.push(this.child(handle, index, childPath(path, index), depth));
    return { t: "array", items };
  }

  private object(handle: QuickJSHandle, path: string, depth: number): WireValue {
    const keys = this.ownKeys(handle);
    if (keys.includes("data") && keys.includes("width") && keys.includes("height")) {
      const image = this.image(handle, path);
      if (image) return image;
    }
    const entries: [string, WireValue][] = keys.map((key) => [key, this.child(handle, key, childPath(path, key), depth)]);
    return { t: "object", entries };
  }

  private ownKeys(handle: QuickJSHandle): string[] {
    const ctx = this.guest.context;
    const keys = this.guest.callHelper("keysOf", handle.dup());
    try {
      const count = this.lengthOf(keys);
      this.budget.charge(16 * count);
      const names: string[] = [];
      for (let index = 0; index < count; index++) {
        const key = ctx.getProp(keys, index);
        names.push(ctx.getString(key));
        key.dispose();
      }
      for (const name of names) this.budget.charge(2 * name.length);
      return names;
    } finally {
      keys.dispose();
    }
  }

  private child(handle: QuickJSHandle, key: string | number, path: string, depth: number): WireValue {
    const child = this.property(handle, key);
    try {
      return this.value(child, path, depth + 1);
    } finally {
      child.dispose();
    }
  }

  private typed(handle: QuickJSHandle, name: TypedArrayName, path: string): WireValue {
    const bytes = this.typedBytes(handle, path);
    this.transfer.push(bytes.buffer as ArrayBuffer);
    return { t: "typed", name, bytes };
  }

  /** A copy of a typed array's bytes, read through the untamperable intrinsic getters. */
  private typedBytes(handle: QuickJSHandle, path: string): Uint8Array {
    const ctx = this.guest.context;
    const view = this.guest.callHelper("viewOf", handle.dup());
    const [buffer, offset, length] = [0, 1, 2].map((index) => ctx.getProp(view, index));
    view.dispose();
    try {
      const start = ctx.getNumber(offset);
      const size = ctx.getNumber(length);
      this.budget.charge(size);
      this.guest.ensureHeap(size);
      const heap = ctx.getArrayBuffer(buffer);
      try {
        if (!(start >= 0 && size >= 0 && start + size <= heap.value.length)) {
          throw dataFailure(this.guest.phase(), path, "is a typed array whose buffer could not be read");
        }
        return heap.value.slice(start, start + size);
      } finally {
        heap.dispose();
      }
    } finally {
      buffer.dispose();
      offset.dispose();
      length.dispose();
    }
  }

  /**
   * An object with `width`, `height` and a `Uint8Array` (or `Uint8ClampedArray`) `data` is an
   * image; anything else with those keys is an ordinary object.
   */
  private image(handle: QuickJSHandle, path: string): WireImage | null {
    const { guest } = this;
    const data = this.property(handle, "data");
    try {
      const kind = this.classify(data);
      if (kind !== "Uint8Array" && kind !== "Uint8ClampedArray") return null;
      const width = this.imageDimension(handle, "width", path);
      const height = this.imageDimension(handle, "height", path);
      const bytes = this.typedBytes(data, childPath(path, "data"));
      if (bytes.length !== width * height * 3) {
        throw dataFailure(guest.phase(), childPath(path, "data"), `has ${bytes.length} bytes; a ${width}x${height} RGB image needs ${width * height * 3}`);
      }
      const parent = this.property(handle, "parent_id");
      let parentId: string | null;
      try {
        const parentKind = guest.context.typeof(parent);
        if (parentKind === "string") parentId = guest.context.getString(parent);
        else if (parentKind === "undefined" || this.classify(parent) === "null") parentId = null;
        else throw dataFailure(guest.phase(), childPath(path, "parent_id"), "must be a string, null or absent");
      } finally {
        parent.dispose();
      }
      this.transfer.push(bytes.buffer as ArrayBuffer);
      return { t: "image", width, height, data: bytes, parentId, videoMetadata: null };
    } finally {
      data.dispose();
    }
  }

  private imageDimension(handle: QuickJSHandle, key: "width" | "height", path: string): number {
    const value = this.property(handle, key);
    try {
      const number = this.guest.context.typeof(value) === "number" ? this.guest.context.getNumber(value) : Number.NaN;
      if (!Number.isInteger(number) || number < 1) {
        throw dataFailure(this.guest.phase(), childPath(path, key), "must be a positive integer (the image has image data)");
      }
      return number;
    } finally {
      value.dispose();
    }
  }

  private classify(handle: QuickJSHandle): string {
    const kind = this.guest.callHelper("classify", handle.dup());
    try {
      return this.guest.context.getString(kind);
    } finally {
      kind.dispose();
    }
  }

  /**
   * `value.length` as a number (0 when absent). Not `QuickJSContext.getLength`: it answers only
   * for objects, and reads its result through a view made once, which a grown memory detaches.
   */
  private lengthOf(handle: QuickJSHandle): number {
    const length = this.property(handle, "length");
    try {
      return this.guest.context.typeof(length) === "number" ? this.guest.context.getNumber(length) : 0;
    } finally {
      length.dispose();
    }
  }

  /** `object[key]`; a getter may throw (the API does not hand over what), failing the call with the property named. */
  private property(handle: QuickJSHandle, key: string | number): QuickJSHandle {
    const value = this.guest.context.getProp(handle, key);
    if (this.guest.context.typeof(value) !== "unknown") return value;
    value.dispose();
    if (this.guest.wasInterrupted()) throw this.guest.timeFailure();
    throw sandboxError(this.guest.phase(), `reading property ${JSON.stringify(String(key))} of the returned value failed`);
  }
}

function unsupportedProblem(kind: string): string {
  const what: Record<string, string> = {
    function: "is a function",
    symbol: "is a symbol",
    bigint: "is a BigInt (convert it with Number())",
    "unsupported:Map": "is a Map (use a plain object)",
    "unsupported:Set": "is a Set (use an array)",
    "unsupported:Promise": "is a Promise (await it before returning)",
    "unsupported:ArrayBuffer": "is an ArrayBuffer (wrap it in a typed array such as Uint8Array)",
    "unsupported:DataView": "is a DataView (use a typed array)",
  };
  const problem = what[kind] ?? `is a ${kind}`;
  return `${problem}; only null, booleans, numbers, strings, arrays, plain objects, Dates, typed arrays and images can leave the sandbox`;
}
