/**
 * Runs the examples of the documentation (README.md and docs/**): every fenced block whose info
 * string says `test=…` (see markdown.ts). Blocks of one file run in document order and share a
 * working directory, so an example can build on the one before it.
 *
 * | block | what the test does |
 * | --- | --- |
 * | ```` ```json test=workflow name=N ```` | compiles the definition with the library (`compile`); `invalid`: compiling must fail; `file=F` also writes it to F |
 * | ```` ```json test=inputs workflow=N ```` | runs N once with these inputs (`runSerialised`); runs of one workflow share its engine, so block state carries over |
 * | ```` ```json test=outputs workflow=N ```` | the result of N's last run equals this list (`subset`: every key shown matches) |
 * | ```` ```json test=error workflow=N ```` | N's compile error, or its last run's error, has these fields |
 * | ```` ```sh test=cli ```` | runs the script with `bash`, `sightline` being the built CLI; exits with `exit=` (default 0) |
 * | ```` ```json test=stdout ```` / ```` ```text test=stdout ```` | the last command printed this: JSON values (one per line, or one document), or this text |
 * | ```` ```<any> test=file path=F ```` | writes the block to F in the working directory |
 * | ```` ```http test=request ```` | sends the request (`METHOD /path`, headers, blank line, body) to an in-process server (`api-key=K`: one requiring K) |
 * | ```` ```json test=response status=S ```` | the last response had status S and this body (`subset` as above) |
 *
 * TypeScript blocks are checked by ts-examples.test.ts. The working directory holds a link to the
 * repository's `examples/` folder.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, toErrorBody, type WorkflowEngine } from "../../src/index.js";
import { createServer, type SightlineServer } from "../../src/server/index.js";
import { documentationFiles, readBlocks, where, type DocBlock } from "./markdown.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");

/** The kinds of block this file runs; TypeScript kinds are ts-examples.test.ts's. */
const KINDS = new Set(["workflow", "inputs", "outputs", "error", "cli", "stdout", "file", "request", "response"]);

interface Workflow {
  engine: WorkflowEngine | null;
  compileError: unknown;
  lastRun: { outputs: unknown } | { error: unknown } | null;
}

interface Response {
  status: number;
  body: unknown;
}

/** What the blocks of one Markdown file share. */
class DocSession {
  readonly cwd = mkdtempSync(join(tmpdir(), "sightline-docs-"));
  readonly workflows = new Map<string, Workflow>();
  readonly servers = new Map<string, SightlineServer>();
  lastStdout: string | null = null;
  lastResponse: Response | null = null;

  constructor() {
    symlinkSync(join(ROOT, "examples"), join(this.cwd, "examples"));
  }

  workflow(block: DocBlock): Workflow {
    const name = block.attrs.workflow;
    const workflow = this.workflows.get(name);
    if (!workflow) throw new Error(`${where(block)}: no workflow named "${name}" before this block (mark one with test=workflow name=${name})`);
    return workflow;
  }

  write(path: string, text: string): void {
    const target = join(this.cwd, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text.endsWith("\n") ? text : `${text}\n`);
  }

  server(apiKey: string | undefined): SightlineServer {
    const key = apiKey ?? "";
    let server = this.servers.get(key);
    if (!server) {
      server = createServer({ apiKey: apiKey ?? null });
      this.servers.set(key, server);
    }
    return server;
  }

  async close(): Promise<void> {
    await Promise.all([...this.workflows.values()].flatMap((workflow) => (workflow.engine ? [workflow.engine.close()] : [])));
    await Promise.all([...this.servers.values()].map((server) => server.close()));
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

function parseJson(block: DocBlock): unknown {
  try {
    return JSON.parse(block.body) as unknown;
  } catch (error) {
    throw new Error(`${where(block)}: the block is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** One JSON document, or JSON Lines. */
function parseJsonValues(text: string): unknown[] {
  try {
    return [JSON.parse(text) as unknown];
  } catch {
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as unknown);
  }
}

function expectMatch(actual: unknown, expected: unknown, block: DocBlock): void {
  if (block.attrs.subset) expect(actual, where(block)).toMatchObject(expected as object);
  else expect(actual, where(block)).toEqual(expected);
}

/** `METHOD /path`, header lines, a blank line, the body. */
function parseRequest(block: DocBlock): { method: string; url: string; headers: Record<string, string>; payload?: string } {
  const lines = block.body.split("\n");
  const [method, url] = lines[0].trim().split(/\s+/);
  const headers: Record<string, string> = {};
  let i = 1;
  for (; i < lines.length && lines[i].trim() !== ""; i++) {
    const at = lines[i].indexOf(":");
    headers[lines[i].slice(0, at).trim().toLowerCase()] = lines[i].slice(at + 1).trim();
  }
  const body = lines
    .slice(i + 1)
    .join("\n")
    .trim();
  if (body !== "" && headers["content-type"] === undefined) headers["content-type"] = "application/json";
  return { method, url, headers, payload: body === "" ? undefined : body };
}

async function check(block: DocBlock, session: DocSession): Promise<void> {
  switch (block.attrs.test) {
    case "workflow": {
      const definition = parseJson(block);
      if (block.attrs.file) session.write(block.attrs.file, block.body);
      const workflow: Workflow = { engine: null, compileError: null, lastRun: null };
      try {
        workflow.engine = compile(definition);
        await workflow.engine.ready();
      } catch (error) {
        workflow.compileError = error;
      }
      session.workflows.set(block.attrs.name, workflow);
      if (block.attrs.invalid) expect(workflow.compileError, `${where(block)} should not compile`).not.toBeNull();
      else expect(workflow.compileError === null ? null : toErrorBody(workflow.compileError), where(block)).toBeNull();
      return;
    }
    case "inputs": {
      const workflow = session.workflow(block);
      if (!workflow.engine) throw new Error(`${where(block)}: workflow "${block.attrs.workflow}" did not compile`);
      try {
        workflow.lastRun = { outputs: await workflow.engine.runSerialised(parseJson(block) as Record<string, unknown>) };
      } catch (error) {
        workflow.lastRun = { error };
      }
      return;
    }
    case "outputs": {
      const run = session.workflow(block).lastRun;
      if (!run) throw new Error(`${where(block)}: workflow "${block.attrs.workflow}" has not run yet (add a test=inputs block)`);
      if ("error" in run) throw new Error(`${where(block)}: the run failed: ${JSON.stringify(toErrorBody(run.error))}`);
      expectMatch(run.outputs, parseJson(block), block);
      return;
    }
    case "error": {
      const workflow = session.workflow(block);
      const error = workflow.compileError ?? (workflow.lastRun && "error" in workflow.lastRun ? workflow.lastRun.error : null);
      if (error === null) throw new Error(`${where(block)}: workflow "${block.attrs.workflow}" raised no error`);
      expect(toErrorBody(error), where(block)).toMatchObject(parseJson(block) as object);
      return;
    }
    case "file":
      session.write(block.attrs.path, block.body);
      return;
    case "cli": {
      const script = `sightline() { "${process.execPath}" "${CLI}" "$@"; }\n${block.body}\n`;
      const result = spawnSync("bash", ["-o", "pipefail", "-c", script], {
        cwd: session.cwd,
        encoding: "utf8",
        env: { ...process.env, SIGHTLINE_OFFLINE: "1" },
        timeout: 120_000,
      });
      session.lastStdout = result.stdout;
      const expected = Number(block.attrs.exit ?? 0);
      expect(result.status, `${where(block)} exit code; stderr:\n${result.stderr}`).toBe(expected);
      return;
    }
    case "stdout": {
      if (session.lastStdout === null) throw new Error(`${where(block)}: no command ran before this block`);
      if (block.lang === "json") expectMatch(parseJsonValues(session.lastStdout), parseJsonValues(block.body), block);
      else expect(session.lastStdout.trim(), where(block)).toBe(block.body.trim());
      return;
    }
    case "request": {
      const request = parseRequest(block);
      const response = await session.server(block.attrs["api-key"]).app.inject({
        method: request.method as "GET",
        url: request.url,
        headers: request.headers,
        payload: request.payload,
      });
      const text = response.body;
      let body: unknown = text;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // a text answer (metrics)
      }
      session.lastResponse = { status: response.statusCode, body };
      return;
    }
    case "response": {
      const response = session.lastResponse;
      if (!response) throw new Error(`${where(block)}: no request before this block`);
      expect(response.status, `${where(block)} status; body: ${JSON.stringify(response.body)}`).toBe(Number(block.attrs.status ?? 200));
      if (block.lang === "json") expectMatch(response.body, parseJson(block), block);
      else expect(String(response.body).trim(), where(block)).toBe(block.body.trim());
      return;
    }
  }
}

for (const file of documentationFiles(ROOT)) {
  const blocks = readBlocks(ROOT, file).filter((block) => KINDS.has(block.attrs.test));
  if (blocks.length === 0) continue;
  describe(file, () => {
    const session = new DocSession();
    afterAll(() => session.close());
    for (const block of blocks) {
      it(`${block.attrs.test} at line ${block.line}`, () => check(block, session), 150_000);
    }
  });
}

describe("doc-test markers", () => {
  it("name only kinds of block the harness knows", () => {
    const known = new Set([...KINDS, "run", "typecheck", "module", "vitest"]);
    const unknown = documentationFiles(ROOT)
      .flatMap((file) => readBlocks(ROOT, file))
      .filter((block) => block.attrs.test !== undefined && !known.has(block.attrs.test))
      .map((block) => `${where(block)}: test=${block.attrs.test}`);
    expect(unknown).toEqual([]);
  });
});
