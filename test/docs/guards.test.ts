/**
 * Guards against the reference drifting from the code: whatever the code knows — error types,
 * CLI commands and flags, HTTP routes, blocks — the reference pages must name. A failure says
 * what is missing and where it belongs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as coreErrors from "../../src/errors/index.js";
import { getDefaultRegistry, WorkflowError } from "../../src/index.js";
import * as modelErrors from "../../src/models/errors.js";
import * as sandboxErrors from "../../src/sandbox/errors.js";
import * as serverErrors from "../../src/server/errors.js";
import { createServer } from "../../src/server/index.js";
import { RedisError } from "../../src/service/redis.js";
import { SnapshotError } from "../../src/state/store.js";
import * as videoErrors from "../../src/video/errors.js";
import { cliHelp } from "../helpers/cli.js";
import { anchors, documentationFiles, links, section } from "./markdown.js";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Names in backticks, the way the reference pages write identifiers. */
const mentions = (text: string, name: string) => text.includes(`\`${name}\``);

function errorClasses(): (new (...args: never[]) => Error)[] {
  const modules = [coreErrors, modelErrors, videoErrors, sandboxErrors, serverErrors, { SnapshotError }, { RedisError }];
  const classes = modules.flatMap((module) => Object.values(module)).filter((value) => typeof value === "function" && value.prototype instanceof Error);
  return [...new Set(classes as (new (...args: never[]) => Error)[])];
}

/** `new HttpError(status, "Type", …)` anywhere in the server: the error types the HTTP layer answers with. */
function httpErrorTypes(): { status: number; type: string }[] {
  const found: { status: number; type: string }[] = [];
  for (const name of readdirSync(join(ROOT, "src/server"))) {
    for (const match of read(`src/server/${name}`).matchAll(/new HttpError\(\s*(\d+),\s*"([A-Za-z]+)"/g))
      found.push({ status: Number(match[1]), type: match[2] });
  }
  return found;
}

describe("docs/reference/errors.md", () => {
  const page = read("docs/reference/errors.md");

  it("names every error class of the errors modules", () => {
    const missing = errorClasses()
      .map((cls) => cls.name)
      .filter((name) => !mentions(page, name));
    expect(missing, "add a section for each").toEqual([]);
  });

  it("gives every workflow error's error_type and HTTP status in the status table", () => {
    const rows = page.split("\n").filter((line) => line.startsWith("|"));
    const listed = (type: string, status: number) => rows.some((row) => mentions(row, type) && row.split("|").some((cell) => cell.trim() === String(status)));
    const wrong: string[] = [];
    for (const cls of errorClasses()) {
      if (!(cls.prototype instanceof WorkflowError) || cls.length > 2) continue;
      // Every workflow error but HttpError takes (message, options); StepExecutionError needs its step.
      const error = new (cls as unknown as new (message: string, options: object) => WorkflowError)("probe", { blockId: "probe", blockType: "probe" });
      if (!listed(error.errorType, error.httpStatus)) wrong.push(`${error.errorType} → ${error.httpStatus}`);
    }
    for (const { status, type } of httpErrorTypes()) if (!listed(type, status)) wrong.push(`${type} → ${status}`);
    expect(wrong, "a table row `| `Type` | … | status |` for each").toEqual([]);
  });
});

/** Every command path commander knows (`[]` is the program), with its flags. */
function commanderTree(): { command: string[]; flags: string[] }[] {
  const tree: { command: string[]; flags: string[] }[] = [];
  const visit = (command: string[]) => {
    const { flags, commands } = cliHelp(command);
    tree.push({ command, flags });
    for (const sub of commands) visit([...command, sub]);
  };
  visit([]);
  return tree;
}

describe("docs/reference/cli.md", () => {
  const page = read("docs/reference/cli.md");
  const tree = commanderTree();
  const shared = [section(page, (heading) => heading === "Model options"), section(page, (heading) => heading === "Global options")].join("\n");

  it("found the commands (the CLI is built)", () => {
    expect(tree.length).toBeGreaterThan(5);
  });

  it.each(tree.filter(({ command }) => command.length > 0).map(({ command, flags }) => [command.join(" "), flags] as const))(
    "documents `sightline %s` and each of its flags",
    (command, flags) => {
      const own = section(page, (heading) => heading.includes(`\`sightline ${command}\``));
      expect(own, `a heading with \`sightline ${command}\``).not.toBeNull();
      const missing = flags.filter((flag) => flag !== "--help" && !own!.includes(flag) && !shared.includes(flag));
      expect(missing, `flags of sightline ${command} missing from its section (or Model options)`).toEqual([]);
    },
  );

  it("documents the program's own flags", () => {
    const missing = tree.find(({ command }) => command.length === 0)!.flags.filter((flag) => !shared.includes(flag));
    expect(missing).toEqual([]);
  });
});

/** Method and path of every route fastify registered, from its route tree (`:id` written `{id}`). */
async function registeredRoutes(): Promise<string[]> {
  const server = createServer();
  await server.app.ready();
  const tree = server.app.printRoutes({ commonPrefix: false });
  await server.close();
  const routes: string[] = [];
  const paths: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^(.*?)── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = Math.floor(match[1].length / 4);
    const path = depth === 0 ? match[2] : `${paths[depth - 1].replace(/\/$/, "")}/${match[2].replace(/^\//, "")}`;
    paths[depth] = path;
    for (const method of match[3].split(", ")) if (method !== "HEAD") routes.push(`${method} ${path.replace(/:(\w+)/g, "{$1}")}`);
  }
  return routes;
}

describe("docs/reference/http.md", () => {
  it("lists every route the server registers as `METHOD /path`", async () => {
    const page = read("docs/reference/http.md");
    const routes = await registeredRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((route) => !mentions(page, route))).toEqual([]);
  });
});

describe("docs/reference/blocks.md", () => {
  const page = read("docs/reference/blocks.md");
  const blocks = getDefaultRegistry().list();

  // A block's section starts at a heading and holds its "**Type** `<type id>`" line.
  const sections = page.split(/^#{2,3} /m);

  it.each(blocks.map((block) => [block.manifest.type, block] as const))("documents %s: its aliases, properties and outputs", (type, block) => {
    const own = sections.find((text) => text.includes(`**Type** \`${type}\``));
    expect(own, `a section with **Type** \`${type}\``).toBeDefined();
    const names = [
      ...(block.manifest.aliases ?? []),
      ...Object.keys(block.manifest.properties.shape),
      ...Object.keys(block.manifest.propertyAliases ?? {}),
      ...block.manifest.outputs.map((output) => output.name),
    ];
    expect(names.filter((name) => !mentions(own!, name))).toEqual([]);
  });
});

describe("docs/reference/workflows.md", () => {
  it("links every block it lists to the blocks page", () => {
    const page = read("docs/reference/workflows.md");
    const missing = getDefaultRegistry()
      .list()
      .map((block) => block.manifest.type)
      .filter((type) => !mentions(page, type));
    expect(missing).toEqual([]);
  });
});

/** Why a repository-relative `path#anchor` does not resolve, or null when it does. */
function brokenTarget(path: string, anchor: string | undefined): string | null {
  if (!existsSync(join(ROOT, path))) return "no such file";
  if (anchor === undefined || !path.endsWith(".md")) return null;
  return anchors(read(path)).has(anchor) ? null : `no heading #${anchor}`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe("links", () => {
  it("every relative link of the README and docs/ points at a file and a heading that exist", () => {
    const broken: string[] = [];
    for (const file of documentationFiles(ROOT)) {
      for (const target of links(read(file))) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path, anchor] = target.split("#");
        const resolved = path === "" ? file : relative(ROOT, resolve(ROOT, dirname(file), path));
        const problem = brokenTarget(resolved, anchor);
        if (problem) broken.push(`${file}: ${target}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("every docs/…md#anchor the code cites exists", () => {
    const broken: string[] = [];
    for (const file of ["src", "test", "bench", "scripts"].flatMap(sourceFiles)) {
      for (const match of read(file).matchAll(/\bdocs\/[\w/-]+\.md(?:#([\w-]+))?/g)) {
        const problem = brokenTarget(match[0].split("#")[0], match[1]);
        if (problem) broken.push(`${file}: ${match[0]}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
