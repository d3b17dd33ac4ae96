/**
 * The package as users get it: `npm pack`, installed into a fresh project, imported by its
 * documented entry points. The exported names of every entry point (values and types, read from
 * the published declaration files) must equal `api-surface.json`, so the public surface never
 * changes unnoticed; internals must not be importable; the types must resolve.
 *
 * After a deliberate change of the surface, rewrite the file with
 * `UPDATE_API_SURFACE=1 npx vitest run test/package` and review its diff.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SURFACE_FILE = join(import.meta.dirname, "api-surface.json");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; exports: Record<string, unknown> };
/** The documented entry points (docs/reference/library.md). */
const ENTRY_POINTS = ["sightline", "sightline/blocks", "sightline/models", "sightline/server", "sightline/video"];

let work: string;
let project: string;

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`, { cause: error });
  }
}

/** Runs an ES module in the fresh project and returns what it printed. */
function node(code: string): string {
  const file = join(project, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  return run(process.execPath, [file], project);
}

/** Each entry point's exported names, types included, as a program compiled against the package sees them: one program for all of them, which is most of this file's time. */
function declaredExports(specifiers: readonly string[]): Record<string, string[]> {
  const probes = specifiers.map((specifier, index) => {
    const probe = join(project, `probe-${index}.ts`);
    writeFileSync(probe, `export * from "${specifier}";\n`);
    return probe;
  });
  const program = ts.createProgram(probes, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules/@types")],
  });
  const checker = program.getTypeChecker();
  return Object.fromEntries(
    specifiers.map((specifier, index) => {
      const symbol = checker.getSymbolAtLocation(program.getSourceFile(probes[index])!);
      const names = checker
        .getExportsOfModule(symbol!)
        .map((exported) => exported.name)
        .sort();
      return [specifier, names];
    }),
  );
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "sightline-package-"));
  project = join(work, "project");
  run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], ROOT);
  const tarball = join(work, `${PACKAGE.name}-${PACKAGE.version}.tgz`);
  execFileSync("mkdir", [project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-sightline", private: true, type: "module" }));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], project);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed package", () => {
  it("exports exactly the documented entry points", () => {
    const keys = Object.keys(PACKAGE.exports).filter((key) => key !== "./package.json");
    expect(keys.map((key) => (key === "." ? PACKAGE.name : `${PACKAGE.name}/${key.slice(2)}`)).sort()).toEqual([...ENTRY_POINTS].sort());
  });

  it("keeps each entry point's exported names as api-surface.json lists them", () => {
    const surface = declaredExports(ENTRY_POINTS);
    if (process.env.UPDATE_API_SURFACE === "1") writeFileSync(SURFACE_FILE, `${JSON.stringify(surface, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(SURFACE_FILE, "utf8")) as Record<string, string[]>;
    expect(surface, "the public API changed: if that is intended, run UPDATE_API_SURFACE=1 npx vitest run test/package").toEqual(expected);
  });

  it("loads every entry point in Node, and each value the declarations name exists at run time", () => {
    const expected = JSON.parse(readFileSync(SURFACE_FILE, "utf8")) as Record<string, string[]>;
    const loaded = JSON.parse(
      node(`
        const out = {};
        for (const entry of ${JSON.stringify(ENTRY_POINTS)}) out[entry] = Object.keys(await import(entry)).sort();
        console.log(JSON.stringify(out));
      `),
    ) as Record<string, string[]>;
    for (const entry of ENTRY_POINTS) {
      expect(loaded[entry].length, entry).toBeGreaterThan(0);
      // run-time names are the declared names minus the type-only ones
      expect(
        loaded[entry].filter((name) => !expected[entry].includes(name)),
        entry,
      ).toEqual([]);
    }
  });

  it("does not let a program import the internals", () => {
    const outcome = node(`
      for (const internal of ["sightline/dist/compiler/graph.js", "sightline/dist/block-api/schema-walk.js", "sightline/src/index.ts"]) {
        try { await import(internal); console.log(internal, "imported"); }
        catch (error) { console.log(internal, error.code); }
      }
    `);
    expect(outcome.trim().split("\n")).toEqual([
      "sightline/dist/compiler/graph.js ERR_PACKAGE_PATH_NOT_EXPORTED",
      "sightline/dist/block-api/schema-walk.js ERR_PACKAGE_PATH_NOT_EXPORTED",
      "sightline/src/index.ts ERR_PACKAGE_PATH_NOT_EXPORTED",
    ]);
  });

  it("runs a workflow and a custom block from the package, typed", () => {
    const program = `
      import assert from "node:assert/strict";
      import { compile, createRegistry, WorkflowSyntaxError, type WorkflowEngine } from "sightline";
      import { defineBlock, selector, type BlockPlugin } from "sightline/blocks";
      import { createServer } from "sightline/server";
      import { VideoPipeline } from "sightline/video";
      import { ModelRuntime } from "sightline/models";
      import { z } from "zod";

      const double = defineBlock({
        manifest: {
          type: "acme/double@v1", name: "Double", family: "math", description: "Twice a number",
          properties: z.object({ value: selector(["float"]) }),
          outputs: [{ name: "twice", kinds: ["float"] }],
        },
        run: ({ value }) => ({ twice: value * 2 }),
      });
      const plugin: BlockPlugin = (registry) => registry.register(double);
      const engine: WorkflowEngine = compile(
        {
          version: "1.0",
          inputs: [{ type: "WorkflowParameter", name: "x" }],
          steps: [{ type: "acme/double@v1", name: "d", value: "$inputs.x" }],
          outputs: [{ type: "JsonField", name: "twice", selector: "$steps.d.twice" }],
        },
        { registry: createRegistry(plugin) },
      );
      assert.deepEqual(await engine.run({ x: 21 }), [{ twice: 42 }]);
      assert.throws(() => compile({ version: "1.0" }), WorkflowSyntaxError);
      // never called: it only has to fail to type-check, which it would not if the options were any
      // @ts-expect-error: stateScope is "stream" or "step"
      const mistyped = () => compile({}, { stateScope: "per-frame" });
      assert.equal(typeof mistyped, "function");
      assert.equal(typeof createServer, "function");
      assert.equal(typeof VideoPipeline, "function");
      assert.equal(typeof ModelRuntime, "function");
      await engine.close();
      console.log("ok");
    `;
    writeFileSync(join(project, "main.ts"), program);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          ...{ module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, skipLibCheck: true, noEmit: true },
          // a Node project has @types/node; this one borrows the repository's
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules/@types")],
        },
      }),
    );
    // zod comes with sightline (its dependency, hoisted beside it); block schemas are written with it
    run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], project);
    expect(run(process.execPath, [join(ROOT, "node_modules/tsx/dist/cli.mjs"), "main.ts"], project).trim()).toBe("ok");
  });

  it("installs the sightline command, which runs a bundled example", () => {
    const output = run(
      join(project, "node_modules/.bin/sightline"),
      ["validate", join(project, "node_modules/sightline/examples/outlier-frames.json")],
      project,
    );
    expect(JSON.parse(output)).toEqual({ status: "ok", warnings: [] });
  });
});
