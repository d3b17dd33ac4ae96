/**
 * roboflow_core/webhook_sink@v1 against a real receiver on 127.0.0.1: JSON and multipart
 * payloads, retries, cooldown, a receiver that never answers, disable_sinks, the host allow-list
 * and the counts /metrics shows.
 */
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { provideSinkPolicy, withSinksDisabled, type SinkQueueOptions } from "../../src/blocks/sinks/service.js";
import { OPEN_SINK_POLICY, type SinkPolicy } from "../../src/blocks/sinks/policy.js";
import { compile, Services, WorkflowImage } from "../../src/index.js";
import { multipartParts, WebhookReceiver } from "./receiver.js";

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver.close());
afterEach(() => {
  receiver.requests.length = 0;
  receiver.answer = () => 200;
});

const QUICK_DRAIN: SinkQueueOptions = { capacity: 64, concurrency: 4, drainMs: 0 };

function sinkServices(policy: SinkPolicy = OPEN_SINK_POLICY, queue = QUICK_DRAIN) {
  const services = new Services();
  const sinks = provideSinkPolicy(services, policy, queue);
  return { services, sinks };
}

function webhookWorkflow(step: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [
      { type: "WorkflowImage", name: "image" },
      { type: "WorkflowParameter", name: "label", default_value: "raccoon" },
      { type: "WorkflowParameter", name: "url" },
    ],
    steps: [{ type: "roboflow_core/webhook_sink@v1", name: "notify", url: "$inputs.url", method: "POST", ...step }],
    outputs: [
      { type: "JsonField", name: "error_status", selector: "$steps.notify.error_status" },
      { type: "JsonField", name: "throttling_status", selector: "$steps.notify.throttling_status" },
      { type: "JsonField", name: "message", selector: "$steps.notify.message" },
    ],
  };
}

function frame(number = 1): WorkflowImage {
  const width = 8;
  const height = 6;
  const data = new Uint8Array(width * height * 3).map((_, index) => (index * 7 + number) % 256);
  return new WorkflowImage({
    width,
    height,
    data,
    parentId: "image",
    videoMetadata: { video_identifier: "cam", frame_number: number, frame_timestamp: new Date(0), fps: 10, measured_fps: null, comes_from_video_file: true },
  });
}

const SENT = { error_status: false, throttling_status: false, message: "Notification sent successfully" };

describe("webhook_sink: payloads", () => {
  it("sends query parameters, headers and a JSON payload after its operations, as upstream builds the request", async () => {
    const { services } = sinkServices();
    const engine = compile(
      webhookWorkflow({
        fire_and_forget: false,
        query_parameters: { camera: "hen-house", tags: ["a", "b"], urgent: true },
        headers: { "X-Api-Key": "secret", "X-Count": 3 },
        json_payload: { label: "$inputs.label", size: "$inputs.image", fixed: { nested: [1, 2.5] } },
        json_payload_operations: { label: [{ type: "StringToUpperCase" }], size: [{ type: "ExtractImageProperty", property_name: "width" }] },
      }),
      { services },
    );
    const [result] = await engine.run({ image: frame(), url: `${receiver.url}/hook?existing=1` });
    expect(result).toEqual(SENT);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.method).toBe("POST");
    expect([...request.url.searchParams]).toEqual([
      ["existing", "1"],
      ["camera", "hen-house"],
      ["tags", "a"],
      ["tags", "b"],
      ["urgent", "True"],
    ]);
    expect(request.headers["x-api-key"]).toBe("secret");
    expect(request.headers["x-count"]).toBe("3");
    expect(request.headers["content-type"]).toBe("application/json");
    // Python's json.dumps separators, as `requests` sends it
    expect(request.body.toString()).toBe('{"label": "RACCOON", "size": 8, "fixed": {"nested": [1, 2.5]}}');
    await engine.close();
  });

  it("sends an image as a multipart file (JPEG) with form fields first, and an image in JSON as base64 JPEG", async () => {
    const { services } = sinkServices();
    const engine = compile(
      webhookWorkflow({
        fire_and_forget: false,
        multi_part_encoded_files: { image: "$inputs.image", note: "$inputs.label" },
        multi_part_encoded_files_operations: { image: [{ type: "ConvertImageToJPEG" }] },
        form_data: { camera: "hen-house" },
      }),
      { services },
    );
    expect((await engine.run({ image: frame(), url: receiver.url }))[0]).toEqual(SENT);
    const parts = multipartParts(receiver.requests[0]);
    expect(parts.map((part) => [part.name, part.filename])).toEqual([
      ["camera", null],
      ["image", "image"],
      ["note", "note"],
    ]);
    expect(parts[0].content.toString()).toBe("hen-house");
    expect(parts[2].content.toString()).toBe("raccoon");
    const jpeg = await sharp(parts[1].content).metadata();
    expect([jpeg.format, jpeg.width, jpeg.height]).toEqual(["jpeg", 8, 6]);

    const json = compile(webhookWorkflow({ fire_and_forget: false, json_payload: { snapshot: "$inputs.image" } }), { services });
    expect((await json.run({ image: frame(), url: receiver.url }))[0]).toEqual(SENT);
    const snapshot = (JSON.parse(receiver.requests[1].body.toString()) as { snapshot: string }).snapshot;
    expect((await sharp(Buffer.from(snapshot, "base64")).metadata()).format).toBe("jpeg");
    await Promise.all([engine.close(), json.close()]);
  });
});

describe("webhook_sink: delivery", () => {
  it("tries again after a 500 and succeeds; a 404 is not retried and is the error in the outputs", async () => {
    const { services, sinks } = sinkServices();
    receiver.answer = (index) => (index === 0 ? 500 : 200);
    const engine = compile(webhookWorkflow({ fire_and_forget: false, cooldown_seconds: 0 }), { services });
    expect((await engine.run({ image: frame(), url: receiver.url }))[0]).toEqual(SENT);
    expect(receiver.requests).toHaveLength(2);

    receiver.answer = () => 404;
    const [failed] = await engine.run({ image: frame(2), url: `${receiver.url}/missing` });
    expect(failed).toEqual({
      error_status: true,
      throttling_status: false,
      message: `Failed to send webhook notification. Internal error details: 404 Client Error: Not Found for url: ${receiver.url}/missing`,
    });
    expect(receiver.requests).toHaveLength(3);
    expect(sinks.stats().deliveries).toEqual(
      expect.arrayContaining([
        { blockType: "roboflow_core/webhook_sink@v1", outcome: "sent", count: 1 },
        { blockType: "roboflow_core/webhook_sink@v1", outcome: "failed", count: 1 },
      ]),
    );
    await engine.close();
  });

  it("gives up after max_retries and reports why", async () => {
    const { services } = sinkServices();
    receiver.answer = () => 503;
    const engine = compile(webhookWorkflow({ fire_and_forget: false, max_retries: 1 }), { services });
    const [result] = await engine.run({ image: frame(), url: receiver.url });
    expect(result).toMatchObject({ error_status: true, message: expect.stringContaining("503 Server Error") });
    expect(receiver.requests).toHaveLength(2);
    await engine.close();
  });

  it("cooldown: a second notification within cooldown_seconds is throttled and not sent", async () => {
    const { services } = sinkServices();
    const engine = compile(webhookWorkflow({ fire_and_forget: false, cooldown_seconds: 3600 }), { services });
    expect((await engine.run({ image: frame(1), url: receiver.url }))[0]).toEqual(SENT);
    expect((await engine.run({ image: frame(2), url: receiver.url }))[0]).toEqual({
      error_status: false,
      throttling_status: true,
      message: "Sink cooldown applies",
    });
    expect(receiver.requests).toHaveLength(1);
    await engine.close();
  });

  it("a receiver that never answers does not hold the stream: every frame finishes, excess notifications are dropped", async () => {
    const { services, sinks } = sinkServices(OPEN_SINK_POLICY, { capacity: 8, concurrency: 2, drainMs: 0 });
    receiver.answer = () => "hang";
    const engine = compile(webhookWorkflow({ cooldown_seconds: 0, request_timeout: 60, max_retries: 0 }), { services });
    const results = [];
    for (let number = 1; number <= 40; number++) results.push(...(await engine.run({ image: frame(number), url: receiver.url })));
    expect(results).toHaveLength(40);
    // two in flight and eight waiting were accepted; the rest were dropped at once
    expect(results.filter((result) => result.message === "Notification sent in the background task")).toHaveLength(10);
    expect(results.filter((result) => result.error_status === true)).toHaveLength(30);
    expect(results[39].message).toMatch(/background queue is full/);
    await receiver.received(2);
    expect(sinks.stats().queued).toBe(10);
    expect(sinks.stats().deliveries).toEqual([{ blockType: "roboflow_core/webhook_sink@v1", outcome: "dropped", count: 30 }]);
    await engine.close();
  });

  it("fire_and_forget delivers in the background", async () => {
    const { services } = sinkServices();
    const engine = compile(webhookWorkflow({ json_payload: { label: "$inputs.label" } }), { services });
    const [result] = await engine.run({ image: frame(), url: receiver.url });
    expect(result).toEqual({ error_status: false, throttling_status: false, message: "Notification sent in the background task" });
    await receiver.received(1);
    expect(JSON.parse(receiver.requests[0].body.toString())).toEqual({ label: "raccoon" });
    await engine.close();
  });
});

describe("webhook_sink: policy", () => {
  it("disable_sinks (the execution policy, or one run) and disable_sink (the step) send nothing", async () => {
    const policyOff = sinkServices({ ...OPEN_SINK_POLICY, disabled: true });
    const off = compile(webhookWorkflow({ fire_and_forget: false }), { services: policyOff.services });
    expect((await off.run({ image: frame(), url: receiver.url }))[0]).toEqual({
      error_status: false,
      throttling_status: false,
      message: "Sink was disabled by workflow execution policy",
    });
    const { services } = sinkServices();
    const on = compile(webhookWorkflow({ fire_and_forget: false, cooldown_seconds: 0 }), { services });
    expect((await withSinksDisabled(() => on.run({ image: frame(), url: receiver.url })))[0]).toMatchObject({
      message: "Sink was disabled by workflow execution policy",
    });
    const parameter = compile(webhookWorkflow({ fire_and_forget: false, disable_sink: true }), { services });
    expect((await parameter.run({ image: frame(), url: receiver.url }))[0]).toMatchObject({ message: "Sink was disabled by parameter `disable_sink`" });
    expect(receiver.requests).toHaveLength(0);
    // the same engine sends once the run is not disabled
    expect((await on.run({ image: frame(), url: receiver.url }))[0]).toEqual(SENT);
    await Promise.all([off.close(), on.close(), parameter.close()]);
  });

  it("refuses a host the policy does not allow, in the outputs, and sends to one it allows", async () => {
    const closed = sinkServices({ ...OPEN_SINK_POLICY, allowedHosts: ["hooks.example"] });
    const refusedEngine = compile(webhookWorkflow({}), { services: closed.services });
    const [refused] = await refusedEngine.run({ image: frame(), url: receiver.url });
    const port = new URL(receiver.url).port;
    expect(refused).toEqual({
      error_status: true,
      throttling_status: false,
      message: `Sink may not connect to host 127.0.0.1:${port}: it is not among the allowed sink hosts (hooks.example); allow it with --allow-sink-hosts 127.0.0.1`,
    });
    expect(closed.sinks.stats().deliveries).toEqual([{ blockType: "roboflow_core/webhook_sink@v1", outcome: "refused", count: 1 }]);
    const open = sinkServices({ ...OPEN_SINK_POLICY, allowedHosts: [`127.0.0.1:${port}`] });
    const allowed = compile(webhookWorkflow({ fire_and_forget: false }), { services: open.services });
    expect((await allowed.run({ image: frame(), url: receiver.url }))[0]).toEqual(SENT);
    expect(receiver.requests).toHaveLength(1);
    await Promise.all([refusedEngine.close(), allowed.close()]);
  });
});
