/**
 * Sinks behind the HTTP server: upstream's own sink-policy workflow (disable_sinks per request),
 * the serve defaults (no outbound host, files only under <data-dir>/sinks) refusing a host and a
 * path in the outputs, hosts allowed by the flags, and the counts in /metrics.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sinkPolicyOf } from "../../src/cli/sink-options.js";
import { sinkDirectoriesUnder } from "../../src/blocks/sinks/policy.js";
import { createServer, type SightlineServer } from "../../src/server/index.js";
import { WebhookReceiver } from "./receiver.js";

const UPSTREAM_WEBHOOK = JSON.parse(
  readFileSync(join(import.meta.dirname, "../fixtures/upstream-sinks/test_workflow_sink_policy_contract__WEBHOOK_WORKFLOW.json"), "utf8"),
) as Record<string, unknown>;

const fileSink = (target: string) => ({
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "content" }],
  steps: [
    {
      type: "roboflow_core/local_file_sink@v1",
      name: "save",
      content: "$inputs.content",
      file_type: "txt",
      output_mode: "separate_files",
      target_directory: target,
    },
  ],
  outputs: [{ type: "JsonField", name: "message", selector: "$steps.save.message" }],
});

async function listen(server: SightlineServer): Promise<string> {
  return server.app.listen({ host: "127.0.0.1", port: 0 });
}

async function runWorkflow(base: string, body: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(`${base}/workflows/run`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { outputs: unknown }).outputs;
}

describe("sinks under serve's defaults", () => {
  let dataDir: string;
  let server: SightlineServer;
  let base: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sightline-serve-sinks-"));
    server = createServer({ dataDir });
    base = await listen(server);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs upstream's sink-policy workflow unchanged: disable_sinks in the request turns the sink off", async () => {
    expect(await runWorkflow(base, { specification: UPSTREAM_WEBHOOK, inputs: {}, disable_sinks: true })).toEqual([
      { message: "Sink was disabled by workflow execution policy" },
    ]);
  });

  it("refuses an outbound host by default, in the outputs, naming the flag", async () => {
    expect(await runWorkflow(base, { specification: UPSTREAM_WEBHOOK, inputs: {} })).toEqual([
      {
        message: "Sink may not connect to host example.com:443: it is not among the allowed sink hosts (none); allow it with --allow-sink-hosts example.com",
      },
    ]);
  });

  it("writes files only under <data-dir>/sinks: a relative target lands there, an absolute one elsewhere is refused", async () => {
    const sinkDir = join(dataDir, "sinks");
    expect(await runWorkflow(base, { specification: fileSink("reports"), inputs: { content: "flagged" } })).toEqual([{ message: "Data saved successfully" }]);
    const [written] = readdirSync(join(sinkDir, "reports"));
    expect(readFileSync(join(sinkDir, "reports", written), "utf8")).toBe("flagged\n");
    const outside = join(dataDir, "outside");
    expect(await runWorkflow(base, { specification: fileSink(outside), inputs: { content: "x" } })).toEqual([
      { message: `Sink may not write ${outside}/workflow_output_: it is outside the sink directories (${sinkDir}); allow a directory with --sink-dir DIR` },
    ]);
    expect(existsSync(outside)).toBe(false);
  });

  it("counts refused and sent deliveries in /metrics", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('sightline_sink_deliveries_total{block_type="roboflow_core/webhook_sink@v1",outcome="refused"} 1');
    expect(text).toContain('sightline_sink_deliveries_total{block_type="roboflow_core/local_file_sink@v1",outcome="sent"} 1');
    expect(text).toContain('sightline_sink_deliveries_total{block_type="roboflow_core/local_file_sink@v1",outcome="refused"} 1');
    expect(text).toMatch(/^sightline_sink_queued 0$/m);
  });
});

describe("sinks under serve with --allow-sink-hosts", () => {
  it("sends to an allowed host", async () => {
    const receiver = await WebhookReceiver.start();
    const server = createServer({
      sinks: sinkPolicyOf({ allowSinkHosts: ["127.0.0.1"], disableSinks: false }, { allowedHosts: [], sinkDirectories: sinkDirectoriesUnder(undefined) }),
    });
    const base = await listen(server);
    const specification = { ...UPSTREAM_WEBHOOK, steps: [{ ...(UPSTREAM_WEBHOOK.steps as object[])[0], url: `${receiver.url}/hook` }] };
    expect(await runWorkflow(base, { specification, inputs: {} })).toEqual([{ message: "Notification sent successfully" }]);
    expect(receiver.requests.map((request) => [request.method, request.url.pathname, request.body.toString()])).toEqual([["POST", "/hook", "{}"]]);
    await server.close();
    await receiver.close();
  });
});
