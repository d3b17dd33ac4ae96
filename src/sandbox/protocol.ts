/**
 * What crosses the thread boundary between the host and a sandbox worker: limits, the code to
 * load, values in a tagged form that survives structured cloning unambiguously, and failures
 * as data (errors do not survive `postMessage` with their fields).
 */

/** Resource limits of one sandbox; every call (and the code's loading plus `init`) gets them afresh. */
export interface SandboxLimits {
  /** Guest execution time per call, enforced inside QuickJS by an interrupt deadline. */
  readonly timeMs: number;
  /** Host-side backstop per call: the worker is killed if it has not answered by then. */
  readonly wallTimeMs: number;
  /**
   * Memory for the guest, inputs included: the size of its WebAssembly memory beyond the 16 MiB
   * QuickJS starts with (at most 2032 MiB: wasm32 caps the total at 2 GiB).
   */
  readonly memoryBytes: number;
  /** QuickJS stack; about 1,300 frames of a small function per 256 KiB (at most `MAXIMUM_STACK_BYTES`). */
  readonly stackBytes: number;
  /** Size of what one call may return (strings, numbers, pixels…), counted while it is copied out. */
  readonly outputBytes: number;
  /** Captured `console` text per stream and call; the rest is cut with a marker. */
  readonly logBytes: number;
}

/** The largest `stackBytes` a sandbox may have: 4 MiB. */
export const MAXIMUM_STACK_BYTES = 4 * 1024 * 1024;

/** The code of a `JavaScriptCode` definition (same fields as upstream's `PythonCode`). */
export interface JavaScriptCode {
  readonly run_function_code: string;
  readonly run_function_name?: string;
  readonly init_function_code?: string | null;
  readonly init_function_name?: string;
}

export interface SandboxStep {
  /** The step's name in the definition. */
  readonly name: string;
  /** The step's `type` (the dynamic block's `block_type`). */
  readonly blockType: string;
}

export interface GuestSetup {
  readonly runCode: string;
  readonly runName: string;
  readonly initCode: string | null;
  readonly initName: string;
  readonly step: SandboxStep;
  readonly limits: SandboxLimits;
}

// ---- values ------------------------------------------------------------------------------

/** Deeper values are refused both ways; JSON-like block data is nowhere near this. */
export const MAX_NESTING = 1000;

/** `output.items[2]["a key"]`: where in a value a problem is, for error messages. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export const TYPED_ARRAY_NAMES = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
] as const;
export type TypedArrayName = (typeof TYPED_ARRAY_NAMES)[number];
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export function isTypedArrayName(name: string): name is TypedArrayName {
  return (TYPED_ARRAY_NAMES as readonly string[]).includes(name);
}

export interface WireArray {
  readonly t: "array";
  readonly items: WireValue[];
}
export interface WireObject {
  readonly t: "object";
  readonly entries: [string, WireValue][];
}
export interface WireTyped {
  readonly t: "typed";
  readonly name: TypedArrayName;
  /** The elements' bytes, exactly `byteLength` long (never a view on a larger buffer). */
  readonly bytes: Uint8Array;
}
export interface WireDate {
  readonly t: "date";
  readonly ms: number;
}
export interface WireVideoMetadata {
  readonly video_identifier: string;
  readonly frame_number: number;
  readonly frame_timestamp_ms: number;
  readonly fps: number | null;
  readonly measured_fps: number | null;
  readonly comes_from_video_file: boolean | null;
}
export interface WireImage {
  readonly t: "image";
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, `width * height * 3` bytes. */
  readonly data: Uint8Array;
  readonly parentId: string | null;
  /** Given to the guest; not read back (a returned image's metadata follows its lineage). */
  readonly videoMetadata: WireVideoMetadata | null;
}

/** Primitives travel as themselves (NaN, ±Infinity and -0 included); everything else is tagged. */
export type WireValue = null | undefined | boolean | number | string | WireArray | WireObject | WireTyped | WireDate | WireImage;

// ---- failures ----------------------------------------------------------------------------

/** `load`: evaluating the code and looking up its functions; `init`: the init function; `run`: a call. */
export type SandboxPhase = "load" | "init" | "run";
export type CodeSource = "run_function_code" | "init_function_code";
export type LimitName = "time" | "wall_time" | "memory" | "stack" | "output_size";

export type WireFailure =
  | {
      readonly reason: "code";
      readonly phase: SandboxPhase;
      readonly source: CodeSource;
      readonly guestName: string;
      readonly guestMessage: string;
      readonly line: number | null;
      readonly column: number | null;
    }
  | {
      readonly reason: "missing_function";
      readonly phase: SandboxPhase;
      readonly role: "run" | "init";
      readonly functionName: string;
      readonly detail: string;
    }
  | { readonly reason: "limit"; readonly phase: SandboxPhase; readonly limit: LimitName; readonly value: number }
  | {
      readonly reason: "execution";
      readonly phase: SandboxPhase;
      readonly guestName: string;
      readonly guestMessage: string;
      readonly guestStack: string;
    }
  | { readonly reason: "data"; readonly phase: SandboxPhase; readonly path: string; readonly problem: string }
  | { readonly reason: "crash"; readonly phase: SandboxPhase; readonly detail: string };

export interface CapturedLogs {
  readonly stdout: string;
  readonly stderr: string;
}

// ---- messages ----------------------------------------------------------------------------

const WASM_PAGE = 64 * 1024;
/** The memory QuickJS's WebAssembly module starts with (Emscripten's 16 MiB: data, C stack, heap). */
const QUICKJS_INITIAL_PAGES = 256;
/** wasm32's ceiling. */
const MAX_PAGES = 32768;

/** QuickJS's initial memory plus the guest's allowance, as WebAssembly pages. */
export function memoryPages(memoryBytes: number): number {
  return Math.min(MAX_PAGES, QUICKJS_INITIAL_PAGES + Math.ceil(memoryBytes / WASM_PAGE));
}

/**
 * A pooled worker hosts many guests (one per step), each its own QuickJS instance; `guest`
 * names which. `drop` has no answer: the guest's instance is released.
 */
export type HostMessage =
  | { readonly type: "load"; readonly guest: number; readonly setup: GuestSetup }
  | { readonly type: "call"; readonly guest: number; readonly inputs: WireObject; readonly executionId: string }
  | { readonly type: "drop"; readonly guest: number };

export type WorkerMessage =
  | { readonly type: "booted" }
  | { readonly type: "loaded"; readonly logs: CapturedLogs }
  | { readonly type: "result"; readonly output: WireValue; readonly logs: CapturedLogs }
  | {
      readonly type: "failure";
      readonly failure: WireFailure;
      readonly logs: CapturedLogs;
      /** The guest may be inconsistent or exhausted: the worker has discarded it, the next call loads it afresh. */
      readonly fatal: boolean;
    };
