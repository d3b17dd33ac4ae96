/**
 * Issue 20, findings 8, 9 and 10, as a user meets them with `sightline run --state FILE`
 * (docs/reference/cli.md#state-files): a corrupt state file is refused before any run, naming the
 * file and the field, exit 1; a folder that does not exist is said at start; a folder removed
 * during the run is said with the path and the reason while the run goes on; and a process killed
 * in the middle of a snapshot write leaves a temporary file that the next start removes, the
 * state intact.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { compile, type EngineSnapshot } from "../../src/index.js";
import { LiveCli, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const OUTLIERS = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "embedding", kind: ["embedding"] }],
  steps: [{ type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", window_size: 1000 }],
  outputs: [{ type: "JsonField", name: "result", selector: "$steps.outliers.*" }],
};

type OutliersSnapshot = EngineSnapshot & { steps: { outliers: { default: { samples: unknown; window: unknown[][] } } } };

const running: LiveCli[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) cli.stop();
});

/** A folder with the workflow and a valid state file after three runs. */
async function savedState(): Promise<{ dir: string; workflow: string; state: string; snapshot: OutliersSnapshot }> {
  const dir = tempDir();
  const workflow = writeTemp("outliers.json", OUTLIERS, dir);
  const state = join(dir, "state.json");
  const inputs = writeTemp("in.jsonl", [{ embedding: [1, 0, 0] }, { embedding: [0, 1, 0] }, { embedding: [0, 0, 1] }], dir);
  expect((await runCli(["run", workflow, "--inputs", inputs, "--state", state])).code).toBe(0);
  return { dir, workflow, state, snapshot: JSON.parse(readFileSync(state, "utf8")) as OutliersSnapshot };
}

/** Resolves once `name` exists in `dir` and no temporary file of a save is left beside it. */
async function saveSettled(dir: string, name: string): Promise<void> {
  for (;;) {
    const names = readdirSync(dir);
    if (names.includes(name) && !names.some((entry) => entry.endsWith(".tmp"))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("a corrupt state file", () => {
  const cases: [string, (snapshot: OutliersSnapshot) => unknown, string][] = [
    ["null", () => null, 'Not a sightline state snapshot (expected format "sightline-state", version 1): expected an object, got null'],
    ["runs -5", (s) => ({ ...s, runs: -5 }), "runs: expected an integer ≥ 0, got -5"],
    ["no steps key", ({ steps: _steps, ...rest }) => rest, "steps: required: expected an object"],
    ["samples -1", (s) => ((s.steps.outliers.default.samples = -1), s), 'steps.outliers["default"].samples: expected an integer ≥ 0, got -1'],
    [
      "a tampered window",
      (s) => (s.steps.outliers.default.window[1].pop(), s),
      'steps.outliers["default"].window[1]: expected 3 values, as window[0] has, got 2',
    ],
  ];

  let saved: Awaited<ReturnType<typeof savedState>>;
  beforeAll(async () => {
    saved = await savedState();
  });

  it.each(cases)("%s: refused before any run, naming the file and the field, exit 1", async (name, corrupt, expected) => {
    const { dir, workflow, snapshot } = saved;
    const state = join(dir, `${name.replaceAll(" ", "-")}.json`);
    writeFileSync(state, JSON.stringify(corrupt(structuredClone(snapshot))));
    const result = await runCli(["run", workflow, "--inputs", writeTemp("more.jsonl", [{ embedding: [1, 1, 0] }], dir), "--state", state]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sightline run: SnapshotError: ${state}: ${expected}\n`);
    // no result line: only the error body, as the last (and only) line
    expect(result.lines).toEqual([expect.objectContaining({ error_type: "SnapshotError", message: `${state}: ${expected}` })]);
  });
});

describe("the state file's folder", () => {
  it("does not exist: said at start, before any run, exit 1", async () => {
    const dir = tempDir();
    const state = join(dir, "missing", "state.json");
    const result = await runCli([
      "run",
      writeTemp("outliers.json", OUTLIERS, dir),
      "--inputs",
      writeTemp("in.jsonl", [{ embedding: [1, 0, 0] }], dir),
      "--state",
      state,
    ]);
    const message = `Cannot save the state file ${state}: the folder ${join(dir, "missing")} does not exist (ENOENT)`;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sightline run: SnapshotError: ${message}\n`);
    expect(result.lines).toEqual([expect.objectContaining({ error_type: "SnapshotError", message })]);
  });

  it("removed during the run: each save that fails says the path and the reason, every line still runs, exit 1", async () => {
    const base = tempDir();
    const dir = join(base, "state");
    mkdirSync(dir);
    const state = join(dir, "state.json");
    const cli = new LiveCli(["run", writeTemp("outliers.json", OUTLIERS, base), "--inputs", "-", "--state", state, "--state-every", "1"]);
    running.push(cli);
    cli.write({ embedding: [1, 0, 0] });
    await cli.linesOut(1);
    // the line is printed before its save ends: remove the folder only once that save is done
    await saveSettled(dir, "state.json");
    rmSync(dir, { recursive: true });
    cli.write({ embedding: [0, 1, 0] });
    cli.write({ embedding: [0, 0, 1] });
    await cli.linesOut(3);
    cli.child.stdin.end();
    expect((await cli.exited).code).toBe(1);
    expect(cli.lines()).toHaveLength(3);
    expect(cli.lines().every((line) => "outputs" in (line as object))).toBe(true);
    const reason = `Cannot save the state file ${state}: the folder ${dir} does not exist (ENOENT)`;
    expect(cli.stderr).toBe(
      `sightline run: SnapshotError: ${reason}; the run goes on, and the next save tries again\nsightline run: SnapshotError: ${reason}\n`,
    );
  });
});

describe("SIGKILL in the middle of a snapshot write", () => {
  it("leaves a temporary file that the next start removes; the state restores intact", async () => {
    const dir = tempDir();
    const workflow = writeTemp("outliers.json", OUTLIERS, dir);
    const state = join(dir, "state.json");
    // a large state (1000 embeddings of 512 values, ~10 MB), so that each write takes a while
    const embedding = (i: number) => {
      const raw = Array.from({ length: 512 }, (_, j) => Math.sin(i * 0.37 + j * 1.91));
      const norm = Math.hypot(...raw);
      return raw.map((x) => x / norm);
    };
    const window = Array.from({ length: 1000 }, (_, i) => embedding(i));
    const large = { ...compile(OUTLIERS).snapshot(), runs: 1000, steps: { outliers: { default: { samples: 1000, window } } } };
    writeFileSync(state, JSON.stringify(large));

    const temporaries = () => readdirSync(dir).filter((name) => name.endsWith(".tmp"));
    // kill when a save's temporary file appears; until one is left behind (the write may win)
    for (let attempt = 0; attempt < 10 && temporaries().length === 0; attempt++) {
      const cli = new LiveCli(["run", workflow, "--inputs", "-", "--state", state, "--state-every", "1"]);
      running.push(cli);
      cli.write({ embedding: embedding(2000 + attempt) });
      await cli.linesOut(1); // past the start (whose folder check makes and removes a temporary file)
      const watcher = watch(dir, (_event, name) => {
        if (name?.endsWith(".tmp")) cli.child.kill("SIGKILL");
      });
      cli.write({ embedding: embedding(3000 + attempt) });
      expect((await cli.exited).signal).toBe("SIGKILL");
      watcher.close();
    }
    expect(temporaries()).not.toEqual([]);
    const saved = JSON.parse(readFileSync(state, "utf8")) as EngineSnapshot;

    const restart = await runCli(["run", workflow, "--inputs", writeTemp("one.jsonl", [{ embedding: embedding(4000) }], dir), "--state", state]);
    expect(restart.code, restart.stderr).toBe(0);
    expect(temporaries()).toEqual([]);
    const after = JSON.parse(readFileSync(state, "utf8")) as OutliersSnapshot;
    expect(after.runs).toBe(saved.runs + 1);
    expect(after.steps.outliers.default.samples).toBe(saved.runs + 1);
    expect(after.steps.outliers.default.window).toHaveLength(1000);
  });
});
