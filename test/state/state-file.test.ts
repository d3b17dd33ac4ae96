/**
 * Issue 20, findings 9 and 10: the state file (docs/reference/cli.md#state-files) is checked at
 * start, before the engine is built; the temporary files of killed processes are removed; a
 * save that fails says which file and why, removes its temporary file and does not stop the run;
 * a file that is not a snapshot is refused naming the file and the place.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, SnapshotError, type EngineSnapshot, type WorkflowEngine } from "../../src/index.js";
import { resumeFrom, StateFile } from "../../src/state/file.js";

const definition = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "embedding", kind: ["embedding"] }],
  steps: [{ type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", window_size: 4 }],
  outputs: [{ type: "JsonField", name: "result", selector: "$steps.outliers.*" }],
};

const folder = () => mkdtempSync(join(tmpdir(), "sightline-state-file-"));

/** A state file whose failed saves are collected. */
function stateFile(path: string, every = 1): { file: StateFile; failures: SnapshotError[] } {
  const failures: SnapshotError[] = [];
  return { file: new StateFile(path, every, (error) => failures.push(error)), failures };
}

const start = (snapshot: EngineSnapshot | undefined): WorkflowEngine => compile(definition, { snapshot });

async function refusal(promise: Promise<unknown>): Promise<SnapshotError> {
  const error: unknown = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SnapshotError);
  return error as SnapshotError;
}

/** A valid saved snapshot after three runs, written to `path`. */
async function saveThreeRuns(path: string): Promise<void> {
  const { file } = stateFile(path);
  const engine = await file.resume(start);
  for (const embedding of [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ])
    await engine.run({ embedding });
  await file.save(engine);
}

describe("the state file's folder is checked at start", () => {
  it("a folder that does not exist: refused before the engine is built, naming the file, the folder and the reason", async () => {
    const path = join(folder(), "missing", "state.json");
    let started = false;
    const error = await refusal(
      stateFile(path).file.resume((snapshot) => {
        started = true;
        return start(snapshot);
      }),
    );
    expect(error.message).toBe(`Cannot save the state file ${path}: the folder ${join(path, "..")} does not exist (ENOENT)`);
    expect(started).toBe(false);
  });

  it("a path through a file: refused, naming it", async () => {
    const dir = folder();
    writeFileSync(join(dir, "plain"), "");
    const path = join(dir, "plain", "state.json");
    expect((await refusal(stateFile(path).file.resume(start))).message).toBe(
      `Cannot save the state file ${path}: ${join(dir, "plain")} is not a folder (ENOTDIR)`,
    );
  });

  it("leaves no file behind when it passes", async () => {
    const dir = folder();
    await stateFile(join(dir, "state.json")).file.resume(start);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("temporary files of killed processes", () => {
  it("are removed at start when their process is gone or had this process's id; a running process's, and other files, stay", async () => {
    const dir = folder();
    const path = join(dir, "state.json");
    await saveThreeRuns(path);
    const gone = 2 ** 22 + 1; // above Linux's largest pid: no such process
    const left = [`state.json.${gone}.tmp`, `state.json.${process.pid}.tmp`];
    const kept = [`state.json.1.tmp`, "state.json.tmp", "other.json.7.tmp", "state.json.x.tmp"];
    for (const name of [...left, ...kept]) writeFileSync(join(dir, name), "{half a snaps");
    const engine = await stateFile(path).file.resume(start);
    expect(readdirSync(dir).sort()).toEqual([...kept, "state.json"].sort());
    expect(engine.snapshot().runs).toBe(3);
  });
});

describe("saves", () => {
  it("a save that fails does not stop the run: it is said once per reason, with the file and the reason, and the next save tries again", async () => {
    const dir = folder();
    const path = join(dir, "state.json");
    const { file, failures } = stateFile(path);
    const engine = await file.resume(start);
    rmSync(dir, { recursive: true });
    for (let i = 0; i < 3; i++) await expect(file.ranOnce(engine)).resolves.toBeUndefined();
    expect(failures.map((error) => error.message)).toEqual([
      `Cannot save the state file ${path}: the folder ${dir} does not exist (ENOENT); the run goes on, and the next save tries again`,
    ]);
    expect(file.failed).toBe(true);
    mkdirSync(dir);
    await file.ranOnce(engine);
    expect(existsSync(path)).toBe(true);
    expect(failures).toHaveLength(1);
  });

  it("a save whose rename fails removes its temporary file", async () => {
    const dir = folder();
    const path = join(dir, "state.json");
    const { file } = stateFile(path);
    const engine = await file.resume(start);
    // the state file's place is taken by a folder that is not empty: the rename fails after the write
    mkdirSync(join(path, "in-the-way"), { recursive: true });
    const error = await refusal(file.save(engine));
    expect(error.message).toMatch(new RegExp(`^Cannot save the state file ${path}: .*\\((EISDIR|ENOTEMPTY|EEXIST)\\)$`));
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  it("what a save writes resumes exactly", async () => {
    const path = join(folder(), "state.json");
    await saveThreeRuns(path);
    const resumed = await stateFile(path).file.resume(start);
    expect(resumed.snapshot().steps).toEqual((JSON.parse(readFileSync(path, "utf8")) as EngineSnapshot).steps);
  });
});

describe("a file that is not a snapshot is refused, naming the file", () => {
  const cases: [string, (text: string) => string, string][] = [
    ["truncated JSON", (text) => text.slice(0, text.length / 2), "is not valid JSON"],
    ["an empty file", () => "", "is not valid JSON"],
    ["NaN in a vector", (text) => text.replace(/"window":\[\[[^,\]]+/, '"window":[[NaN'), "is not valid JSON"],
    [
      "1e999 (Infinity) in a vector",
      (text) => text.replace(/"window":\[\[[^,\]]+/, '"window":[[1e999'),
      ': steps.outliers["default"].window[0][0]: expected a finite number, got Infinity',
    ],
    ["null", () => "null", ": Not a sightline state snapshot"],
  ];
  it.each(cases)("%s", async (_name, corrupt, expected) => {
    const path = join(folder(), "state.json");
    await saveThreeRuns(path);
    writeFileSync(path, corrupt(readFileSync(path, "utf8")));
    const error = await refusal(resumeFrom(stateFile(path).file, start));
    expect(error.message).toContain(path);
    expect(error.message).toContain(expected);
  });
});
