/**
 * The layer rules (`npm run layers`, part of `npm run check` and CI). Each folder of src/ may import
 * only from the folders listed for it, so dependencies point down: definition → compiler →
 * executor → blocks → the I/O edges. docs/architecture.md explains the layers.
 */
const LAYERS = {
  // foundations: no project imports, or only each other's
  errors: [],
  maths: [],
  wasm: [],
  images: ["errors"],
  kinds: ["images"],
  definition: ["errors"],
  state: ["errors", "images"],
  query: ["block-api", "definition", "errors", "images", "kinds", "maths"],
  sandbox: ["errors", "images", "definition"],
  // what blocks are written against
  "block-api": ["definition", "errors", "images", "kinds"],
  // definition → plan → run
  compiler: ["block-api", "definition", "errors", "kinds"],
  executor: ["block-api", "compiler", "definition", "errors", "images", "state"],
  describe: ["block-api", "definition", "kinds", "query"],
  // model runtimes, and the blocks (the engine finds blocks only through the registry)
  models: ["block-api", "definition", "errors", "images", "maths", "wasm"],
  blocks: ["block-api", "definition", "errors", "images", "kinds", "maths", "models", "query", "sandbox"],
  // I/O at the edges
  video: ["definition", "errors", "executor", "images", "wasm", "library"],
  // the event record: flagged frames on disk with their snapshots (read by service, server, cli)
  events: ["errors", "images", "state", "video"],
  // pipelines as a service: durable records, checkpoints, results, the runner, Redis coordination
  service: ["block-api", "compiler", "definition", "errors", "events", "executor", "images", "state", "video", "library"],
  server: [
    "block-api",
    "blocks",
    "compiler",
    "definition",
    "describe",
    "errors",
    "events",
    "executor",
    "images",
    "kinds",
    "maths",
    "models",
    "service",
    "state",
    "video",
    "library",
  ],
  cli: [
    "block-api",
    "blocks",
    "compiler",
    "definition",
    "describe",
    "errors",
    "events",
    "executor",
    "images",
    "kinds",
    "models",
    "server",
    "service",
    "state",
    "video",
    "library",
  ],
  // the browser bundle: types from the server side, and the Node-free foundations
  ui: ["definition", "errors", "kinds", "block-api", "describe", "maths", "server", "video"],
};

const FOLDERS = Object.keys(LAYERS);
const ROOT_ENTRIES = "^src/[^/]+\\.ts$"; // src/index.ts and the other package entry points ("library")

const layerRules = FOLDERS.map((folder) => {
  const allowed = LAYERS[folder].filter((name) => name !== "library");
  const mayUseLibrary = LAYERS[folder].includes("library");
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} may import only from ${LAYERS[folder].join(", ") || "nothing else in src"} (see docs/architecture.md)`,
    severity: "error",
    from: { path: `^src/${folder}/` },
    to: {
      path: "^src/",
      pathNot: [`^src/${folder}/`, ...allowed.map((name) => `^src/${name}/`), ...(mayUseLibrary ? [ROOT_ENTRIES] : [])],
    },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      comment: "A circular import hides which module owns what (cycles of type-only imports are harmless and allowed).",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "entries-not-from-edges",
      comment: "The package entry points (src/*.ts) sit below video/server/cli/ui and must not import them, except their own entry.",
      severity: "error",
      from: { path: "^src/index\\.ts$" },
      to: { path: "^src/(video|server|cli|ui)/" },
    },
    {
      name: "node-free-browser-foundations",
      comment: "definition/, kinds/ and maths/ are imported by the browser bundle: no Node built-ins.",
      severity: "error",
      from: { path: "^src/(definition|kinds|maths)/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "tests-not-from-dist",
      comment: "Tests import the sources; only process-level tests run dist/ (as a user does).",
      severity: "error",
      from: { path: "^test/" },
      to: { path: "^dist/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js"] },
    exclude: { path: ["\\.as\\.ts$", "node_modules"] },
  },
};
