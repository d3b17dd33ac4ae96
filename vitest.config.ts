import { defineConfig } from "vitest/config";

/**
 * Unit tests: the engine, its maths, the query language, blocks and models in this process — no
 * child processes, no ffmpeg, no browser, no built dist/. Every other test file is an integration
 * test (CLI, server, video, sandbox, UI in Chromium, docs, the packed package).
 */
const UNIT = [
  "test/engine/**/*.test.ts",
  "test/maths/**/*.test.ts",
  "test/query/**/*.test.ts",
  "test/conformance/**/*.test.ts",
  "test/blocks/**/*.test.ts",
  "test/models/**/*.test.ts",
  "test/ui/graph.test.ts",
  "test/ui/run-state.test.ts",
  "test/ui/run-outputs.test.ts",
  "test/server/units.test.ts",
  "test/state/**/*.test.ts",
  "test/service/file-store.test.ts",
  "test/events/recorder.test.ts",
  "test/events/store.test.ts",
  "test/video/units.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      // Two files at a time: they spend most of their time waiting on child processes (the CLI,
      // ffmpeg, Chromium, Python), and vitest's default on 2 cores is one (available cores − 1).
      {
        extends: true,
        test: { name: "integration", include: ["test/**/*.test.ts"], exclude: UNIT, globalSetup: ["test/global-setup.ts"], maxWorkers: 2 },
      },
    ],
  },
});
