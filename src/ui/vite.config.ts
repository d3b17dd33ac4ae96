/**
 * Builds the web UI into `dist/ui/`, which `src/server/ui.ts` serves at `/`. Run through
 * `npm run build`; `npx vite --config src/ui/vite.config.ts` serves it with hot reload, proxying
 * the API to a `sightline serve` on port 9001.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const API_PREFIXES = ["/workflows", "/build", "/inference_pipelines", "/uploads", "/sessions", "/metrics", "/ui/examples"];

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../../dist/ui", import.meta.url)),
    emptyOutDir: true,
    // ELK (auto-layout, about 1.4 MB) is a chunk of its own, loaded on the first layout.
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, "http://127.0.0.1:9001"])),
  },
});
