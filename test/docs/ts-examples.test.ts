/**
 * The TypeScript examples of the documentation, type-checked with the repository's compiler
 * settings and, where marked, run:
 *
 * | block | what the test does |
 * | --- | --- |
 * | ```` ```ts test=typecheck ```` | type-checks it (e.g. an example that needs a model or the network to run) |
 * | ```` ```ts test=run ```` | type-checks it and runs it with tsx; it must exit 0 (use `node:assert` to state results) |
 * | ```` ```ts test=module path=P ```` | type-checks it as the file P of the repository (relative imports resolve from there) |
 * | ```` ```ts test=vitest path=P ```` | as `module`, then runs it with vitest |
 *
 * Examples import sightline by its package name (`"sightline"`, `"sightline/server"`, …), which
 * Node resolves through the package's own `exports` to `dist/` (so the build must be current);
 * an entry point the package does not export fails the type check.
 *
 * Files are written to `.build/doc-examples/` (inside the package, where its name resolves).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { documentationFiles, readBlocks, where, type DocBlock } from "./markdown.js";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = join(ROOT, ".build/doc-examples");
const KINDS = new Set(["typecheck", "run", "module", "vitest"]);

interface Example {
  block: DocBlock;
  /** Where the example is written. */
  path: string;
}

const IMPORT = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\2/g;

/**
 * An example declared as repository file P is written under OUT with the same relative layout;
 * its relative imports of other examples of the same page stay as they are, the others are
 * pointed at the repository's real files.
 */
function rewriteImports(code: string, declaredPath: string, siblings: ReadonlySet<string>, writtenAt: string): string {
  return code.replace(IMPORT, (whole, keyword: string, quote: string, specifier: string) => {
    if (!specifier.startsWith(".")) return whole;
    const target = join(dirname(declaredPath), specifier);
    if (siblings.has(target.replace(/\.js$/, ".ts"))) return whole;
    let rewritten = relative(dirname(writtenAt), join(ROOT, target));
    if (!rewritten.startsWith(".")) rewritten = `./${rewritten}`;
    return `${keyword}${quote}${rewritten}${quote}`;
  });
}

function slug(file: string): string {
  return file.replace(/\.md$/, "").replace(/[^A-Za-z0-9]+/g, "-");
}

function collectExamples(): Example[] {
  const examples: Example[] = [];
  for (const file of documentationFiles(ROOT)) {
    const blocks = readBlocks(ROOT, file).filter((block) => KINDS.has(block.attrs.test));
    const siblings = new Set(blocks.map((block) => block.attrs.path).filter((path): path is string => path !== undefined));
    for (const block of blocks) {
      const declared = block.attrs.path;
      const path = join(OUT, slug(file), declared ?? `line-${block.line}.ts`);
      const code = declared ? rewriteImports(block.body, declared, siblings, path) : block.body;
      examples.push({ block: { ...block, body: code }, path });
    }
  }
  return examples;
}

const examples = collectExamples();

/** tsc's diagnostics, by file. */
const diagnostics = new Map<string, string[]>();

function typecheck(): void {
  rmSync(OUT, { recursive: true, force: true });
  for (const { path, block } of examples) {
    mkdirSync(dirname(path), { recursive: true });
    // `export {}` makes every example a module, so top-level await and names never clash.
    writeFileSync(path, `${block.body}\nexport {};\n`);
  }
  const config = {
    extends: relative(OUT, join(ROOT, "tsconfig.json")),
    compilerOptions: { noEmit: true, rootDir: relative(OUT, ROOT) },
    include: [],
    files: examples.map(({ path }) => relative(OUT, path)),
  };
  writeFileSync(join(OUT, "tsconfig.json"), JSON.stringify(config, null, 2));
  const result = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(OUT, "tsconfig.json")], {
    cwd: OUT,
    encoding: "utf8",
  });
  for (const line of result.stdout.split("\n")) {
    const match = /^(.+?)\(\d+,\d+\): error/.exec(line);
    if (!match) continue;
    const file = resolve(OUT, match[1]);
    diagnostics.set(file, [...(diagnostics.get(file) ?? []), line]);
  }
  if (result.status !== 0 && diagnostics.size === 0) throw new Error(`tsc failed:\n${result.stdout}\n${result.stderr}`);
}

function execute({ block, path }: Example): void {
  const runner =
    block.attrs.test === "vitest"
      ? vitestRun(path)
      : spawnSync(join(ROOT, "node_modules/.bin/tsx"), [path], { cwd: dirname(path), encoding: "utf8", timeout: 120_000 });
  expect(runner.status, `${where(block)} exited with ${runner.status}:\n${runner.stdout}\n${runner.stderr}`).toBe(0);
}

function vitestRun(path: string) {
  const config = join(dirname(path), "doc-example.vitest.config.mjs");
  writeFileSync(config, `export default { test: { include: [${JSON.stringify(relative(dirname(path), path))}] } };\n`);
  return spawnSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--root", dirname(path), "--config", config], {
    cwd: dirname(path),
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("TypeScript examples", () => {
  beforeAll(typecheck, 300_000);

  for (const example of examples) {
    const { block } = example;
    const name = `${block.attrs.test} at ${where(block)}`;
    it(
      name,
      () => {
        expect(diagnostics.get(example.path) ?? [], `${where(block)} type errors`).toEqual([]);
        if (block.attrs.test === "run" || block.attrs.test === "vitest") execute(example);
      },
      150_000,
    );
  }
});
