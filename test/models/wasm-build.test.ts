/** The committed WebAssembly kernels are what their AssemblyScript sources compile to. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compileKernel, generatedModule, generatedPath } from "../../scripts/build-wasm.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("WebAssembly kernels", () => {
  it("resample.wasm.ts is up to date with resample.as.ts (run `npm run build:wasm` if not)", () => {
    const source = "src/models/clip/wasm/resample.as.ts";
    const committed = readFileSync(resolve(ROOT, generatedPath(source)), "utf8");
    expect(committed).toBe(generatedModule(source, compileKernel(source)));
  }, 60_000);
});
