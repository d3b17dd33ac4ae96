/** The committed WebAssembly kernels are what their AssemblyScript sources compile to. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compileKernel, generatedModule, generatedPath } from "../../scripts/build-wasm.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("WebAssembly kernels", () => {
  it.each(["src/models/preprocessing/wasm/resample.as.ts", "src/video/wasm/yuv.as.ts"])(
    "%s matches its committed .wasm.ts (run `npm run build:wasm` if not)",
    (source) => {
      const committed = readFileSync(resolve(ROOT, generatedPath(source)), "utf8");
      expect(committed).toBe(generatedModule(source, compileKernel(source)));
    },
    60_000,
  );
});
