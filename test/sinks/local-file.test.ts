/**
 * roboflow_core/local_file_sink@v1 on real files: append logs with rotation (CSV headers dropped,
 * JSON as JSON Lines), separate files, a log that continues after a snapshot, disable_sinks and
 * the sink folders.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileTimestamp } from "../../src/blocks/sinks/local-file.js";
import { OPEN_SINK_POLICY, type SinkPolicy } from "../../src/blocks/sinks/policy.js";
import { provideSinkPolicy } from "../../src/blocks/sinks/service.js";
import { compile, Services } from "../../src/index.js";

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "sightline-file-sink-"));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

function fileSinkWorkflow(step: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [
      { type: "WorkflowParameter", name: "content" },
      { type: "WorkflowParameter", name: "target", default_value: "." },
    ],
    steps: [{ type: "roboflow_core/local_file_sink@v1", name: "save", content: "$inputs.content", target_directory: "$inputs.target", ...step }],
    outputs: [
      { type: "JsonField", name: "error_status", selector: "$steps.save.error_status" },
      { type: "JsonField", name: "message", selector: "$steps.save.message" },
    ],
  };
}

function withPolicy(policy: SinkPolicy = OPEN_SINK_POLICY): Services {
  const services = new Services();
  provideSinkPolicy(services, policy);
  return services;
}

const SAVED = { error_status: false, message: "Data saved successfully" };
const files = (directory = folder) => readdirSync(directory).sort();
const read = (name: string) => readFileSync(join(folder, name), "utf8");

describe("local_file_sink: append_log", () => {
  it("appends CSV rows without their header and starts a new file every max_entries_per_file entries", async () => {
    const engine = compile(fileSinkWorkflow({ file_type: "csv", output_mode: "append_log", file_name_prefix: "report", max_entries_per_file: 2 }), {
      services: withPolicy(),
    });
    for (let row = 1; row <= 5; row++) expect((await engine.run({ content: `frame,score\n${row},0.${row}`, target: folder }))[0]).toEqual(SAVED);
    const written = files();
    expect(written).toHaveLength(3);
    for (const name of written) expect(name).toMatch(/^report_\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}_\d{6}\.csv$/);
    expect(written.map(read)).toEqual(["frame,score\n1,0.1\n2,0.2\n", "frame,score\n3,0.3\n4,0.4\n", "frame,score\n5,0.5\n"]);
    await engine.close();
  });

  it("writes JSON as JSON Lines (.jsonl) and refuses content that is not JSON", async () => {
    const engine = compile(fileSinkWorkflow({ file_type: "json", output_mode: "append_log" }), { services: withPolicy() });
    expect((await engine.run({ content: '{\n  "frame": 1,\n  "flags": [true]\n}', target: folder }))[0]).toEqual(SAVED);
    expect((await engine.run({ content: '{"frame": 2}', target: folder }))[0]).toEqual(SAVED);
    expect((await engine.run({ content: "not json", target: folder }))[0]).toEqual({ error_status: true, message: "Invalid JSON content" });
    const [log] = files();
    expect(log).toMatch(/^workflow_output_.*\.jsonl$/);
    expect(read(log)).toBe('{"frame": 1, "flags": [true]}\n{"frame": 2}\n');
    await engine.close();
  });

  it("keeps appending to the same log in an engine restored from a snapshot", async () => {
    const definition = fileSinkWorkflow({ file_type: "txt", output_mode: "append_log" });
    const first = compile(definition, { services: withPolicy() });
    await first.run({ content: "one", target: folder });
    const resumed = compile(definition, { services: withPolicy(), snapshot: first.snapshot() });
    await resumed.run({ content: "two", target: folder });
    expect(files().map(read)).toEqual(["one\ntwo\n"]);
    await Promise.all([first.close(), resumed.close()]);
  });
});

describe("local_file_sink: separate_files and policy", () => {
  it("writes one file per run", async () => {
    const engine = compile(fileSinkWorkflow({ file_type: "txt", output_mode: "separate_files", file_name_prefix: "event" }), { services: withPolicy() });
    for (const text of ["a", "b", "c"]) expect((await engine.run({ content: text, target: join(folder, "events") }))[0]).toEqual(SAVED);
    expect(files(join(folder, "events")).map((name) => readFileSync(join(folder, "events", name), "utf8"))).toEqual(["a\n", "b\n", "c\n"]);
    await engine.close();
  });

  it("disable_sinks writes nothing", async () => {
    const engine = compile(fileSinkWorkflow({ output_mode: "separate_files" }), { services: withPolicy({ ...OPEN_SINK_POLICY, disabled: true }) });
    expect((await engine.run({ content: "x", target: folder }))[0]).toEqual({ error_status: false, message: "Sink was disabled by workflow execution policy" });
    expect(files()).toEqual([]);
    await engine.close();
  });

  it("writes only under the sink folders: relative targets land there, others are refused in the outputs", async () => {
    const sinkDir = join(folder, "sinks");
    const engine = compile(fileSinkWorkflow({ output_mode: "separate_files", file_type: "txt" }), {
      services: withPolicy({ ...OPEN_SINK_POLICY, sinkDirectories: [sinkDir] }),
    });
    expect((await engine.run({ content: "kept", target: "reports" }))[0]).toEqual(SAVED);
    expect(files(join(sinkDir, "reports"))).toHaveLength(1);
    const outside = join(folder, "elsewhere");
    for (const target of [outside, "../elsewhere"]) {
      expect((await engine.run({ content: "x", target }))[0]).toEqual({
        error_status: true,
        message: `Sink may not write ${outside}/workflow_output_: it is outside the sink directories (${sinkDir}); allow a directory with --sink-dir DIR`,
      });
    }
    expect(files()).toEqual(["sinks"]);
    await engine.close();
  });

  it("names files by local time to the microsecond, as Python's %Y_%m_%d_%H_%M_%S_%f", () => {
    const at = new Date(2026, 0, 2, 3, 4, 5, 6).getTime() + 0.789;
    expect(fileTimestamp(at)).toBe("2026_01_02_03_04_05_006789");
  });
});
