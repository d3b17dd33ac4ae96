/**
 * The sink flags of the built CLI: `sightline run` allows everything by default (and delivers a
 * fire_and_forget webhook before it exits), `--allow-sink-hosts` / `--sink-dir` restrict it,
 * `--disable-sinks` turns sinks off.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir, writeTemp } from "../helpers/cli.js";
import { WebhookReceiver } from "./receiver.js";

let receiver: WebhookReceiver;
let folder: string;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  folder = tempDir("sightline-sink-cli-");
});
afterAll(async () => {
  await receiver.close();
  rmSync(folder, { recursive: true, force: true });
});

function definition(url: string, target: string) {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowParameter", name: "note" }],
    steps: [
      { type: "roboflow_core/webhook_sink@v1", name: "notify", url, method: "POST", json_payload: { note: "$inputs.note" } },
      {
        type: "roboflow_core/local_file_sink@v1",
        name: "save",
        content: "$inputs.note",
        file_type: "txt",
        output_mode: "append_log",
        target_directory: target,
      },
    ],
    outputs: [
      { type: "JsonField", name: "webhook", selector: "$steps.notify.message" },
      { type: "JsonField", name: "file", selector: "$steps.save.message" },
    ],
  };
}

describe("sightline run: sink flags", () => {
  it("by default reaches any host and folder, and delivers the background webhook before it exits", async () => {
    const target = join(folder, "open");
    const workflow = writeTemp("open.json", definition(`${receiver.url}/hook`, target), folder);
    const inputs = writeTemp("inputs.json", { note: "raccoon" }, folder);
    const result = await runCli(["run", workflow, "--inputs", inputs]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines).toEqual([{ outputs: [{ webhook: "Notification sent in the background task", file: "Data saved successfully" }] }]);
    expect(receiver.requests.map((request) => request.body.toString())).toEqual(['{"note": "raccoon"}']);
    expect(readdirSync(target)).toHaveLength(1);
  });

  it("--allow-sink-hosts and --sink-dir refuse what they do not name; --disable-sinks turns sinks off", async () => {
    const sinkDir = join(folder, "allowed");
    const outside = join(folder, "outside");
    const workflow = writeTemp("restricted.json", definition(`${receiver.url}/hook`, outside), folder);
    const inputs = writeTemp("inputs.json", { note: "x" }, folder);
    const restricted = await runCli(["run", workflow, "--inputs", inputs, "--allow-sink-hosts", "hooks.example", "--sink-dir", sinkDir]);
    expect(restricted.code, restricted.stderr).toBe(0);
    const port = new URL(receiver.url).port;
    expect(restricted.lines).toEqual([
      {
        outputs: [
          {
            webhook: `Sink may not connect to host 127.0.0.1:${port}: it is not among the allowed sink hosts (hooks.example); allow it with --allow-sink-hosts 127.0.0.1`,
            file: `Sink may not write ${outside}/workflow_output_: it is outside the sink directories (${sinkDir}); allow a directory with --sink-dir DIR`,
          },
        ],
      },
    ]);
    const disabled = await runCli(["run", workflow, "--inputs", inputs, "--disable-sinks"]);
    expect(disabled.lines).toEqual([
      { outputs: [{ webhook: "Sink was disabled by workflow execution policy", file: "Sink was disabled by workflow execution policy" }] },
    ]);
    const badHost = await runCli(["run", workflow, "--inputs", inputs, "--allow-sink-hosts", "http://x"]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain('"http://x" is not a host name, host:port or *');
  });
});
