/**
 * Loading the small WebAssembly kernels (image resampling, colour conversion) compiled from
 * AssemblyScript (`*.as.ts` → `*.wasm.ts`, `npm run build:wasm`), and the bump allocator their
 * callers use to lay out one call's data in the kernel's memory.
 */

/** The slice of the WebAssembly API used here (Node's own typings do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** The kernel's exports, or null where WebAssembly (or its SIMD) is unavailable. */
export function loadKernel<T extends { memory: WasmMemory }>(base64: string): T | null {
  try {
    if (!wasm) return null;
    return new wasm.Instance(new wasm.Module(Buffer.from(base64, "base64")), {}).exports as T;
  } catch {
    return null;
  }
}

/** Bump allocation in a kernel's memory, 16-byte aligned, grown as needed; one per call. */
export class Arena {
  private top = 16;
  constructor(private readonly memory: WasmMemory) {}

  take(bytes: number): number {
    const at = this.top;
    this.top = (at + bytes + 15) & ~15;
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    return at;
  }
}
