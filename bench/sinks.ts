/**
 * `npm run bench:sinks`: what a webhook sink costs a stream. A generated 320×240 30 fps file goes
 * through the video pipeline with a model-free workflow (frame number → flag) — cheap frames, so
 * the sink's share is as large as it gets — once without a sink and once with a webhook sink on
 * every frame (`cooldown_seconds: 0`, `fire_and_forget`, the frame as base64 JPEG in the JSON)
 * whose receiver is (a) fast, (b) slow (answers after 2 s), (c) down (connection refused). The
 * four take turns in rounds, so machine noise hits them alike; each prints frames/s and its ratio
 * to the pipeline without the sink. Goal: a slow or down sink costs < 5 % of frames/s.
 *
 *   npm run bench:sinks                 # 8 rounds of 300 frames each
 *   npm run bench:sinks -- --rounds 5
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { OPEN_SINK_POLICY } from "../src/blocks/sinks/policy.js";
import { DEFAULT_SINK_QUEUE, provideSinkPolicy, type SinkService } from "../src/blocks/sinks/service.js";
import { compile, Services } from "../src/index.js";
import { VideoPipeline } from "../src/video/pipeline.js";
import { makeTestVideo } from "../src/video/testing.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "8" }, frames: { type: "string", default: "300" } } });
const ROUNDS = Number(args.rounds);
const FRAMES = Number(args.frames);

function workflow(sinkUrl: string | null) {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [
      { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
      ...(sinkUrl === null
        ? []
        : [
            {
              type: "roboflow_core/webhook_sink@v1",
              name: "notify",
              url: sinkUrl,
              method: "POST",
              json_payload: { frame: "$steps.frame.output", snapshot: "$inputs.image" },
              json_payload_operations: { snapshot: [{ type: "ConvertImageToBase64" }] },
              cooldown_seconds: 0,
              request_timeout: 5,
            },
          ]),
    ],
    outputs: [{ type: "JsonField", name: "frame", selector: "$steps.frame.output" }],
  };
}

/** A receiver answering 200 after `delayMs`. */
async function receiver(delayMs: number): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => setTimeout(() => response.end("{}"), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

/** A URL on a port nothing listens on: connections are refused. */
async function downUrl(): Promise<string> {
  const { url, server } = await receiver(0);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

interface Scenario {
  readonly name: string;
  readonly url: string | null;
  frames: number;
  seconds: number;
  readonly sinks: SinkService[];
}

async function pipelineRun(video: string, scenario: Scenario): Promise<void> {
  const services = new Services();
  // the default queue; its deliveries still waiting at the end go on in the background (sockets
  // waiting on a receiver cost no CPU), as a stream's would, while the next run is measured
  const sinks = provideSinkPolicy(services, OPEN_SINK_POLICY, { ...DEFAULT_SINK_QUEUE, drainMs: 0 });
  scenario.sinks.push(sinks);
  const engine = compile(workflow(scenario.url), { services, isolateElementErrors: true });
  const pipeline = new VideoPipeline({ engine, videos: [video] });
  const started = performance.now();
  const status = await pipeline.run();
  scenario.seconds += (performance.now() - started) / 1000;
  scenario.frames += status.frames;
  await engine.close();
  if (status.errors > 0) throw new Error(`${scenario.name}: ${status.errors} frames failed`);
}

function outcomes(scenario: Scenario): string {
  const totals = new Map<string, number>();
  for (const sinks of scenario.sinks) for (const entry of sinks.stats().deliveries) totals.set(entry.outcome, (totals.get(entry.outcome) ?? 0) + entry.count);
  return [...totals].map(([outcome, count]) => `${outcome} ${count}`).join(", ") || "-";
}

const folder = await mkdtemp(join(tmpdir(), "sightline-bench-sinks-"));
try {
  const video = (await makeTestVideo(join(folder, "stream.mp4"), { width: 320, height: 240, fps: 30, frames: FRAMES })).path;
  const fast = await receiver(0);
  const slow = await receiver(2000);
  const scenarios: Scenario[] = [
    { name: "no sink", url: null, frames: 0, seconds: 0, sinks: [] },
    { name: "(a) webhook, fast receiver", url: fast.url, frames: 0, seconds: 0, sinks: [] },
    { name: "(b) webhook, slow receiver (2 s)", url: slow.url, frames: 0, seconds: 0, sinks: [] },
    { name: "(c) webhook, receiver down (refused)", url: await downUrl(), frames: 0, seconds: 0, sinks: [] },
  ];
  console.log(
    `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}`,
  );
  console.log(`${FRAMES} frames of 320×240 per run, ${ROUNDS} rounds, scenarios alternating\n`);
  await pipelineRun(video, { ...scenarios[0], sinks: [] }); // warm-up: JIT, ffmpeg's first start
  for (let round = 0; round < ROUNDS; round++) for (const scenario of scenarios) await pipelineRun(video, scenario);
  const base = scenarios[0].frames / scenarios[0].seconds;
  for (const scenario of scenarios) {
    const fps = scenario.frames / scenario.seconds;
    console.log(
      `${scenario.name.padEnd(40)} ${fps.toFixed(1).padStart(8)} frames/s   ÷ no sink ${(fps / base).toFixed(3)}   deliveries: ${outcomes(scenario)}`,
    );
  }
  console.log(
    `\nload after: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}`,
  );
  fast.server.closeAllConnections();
  slow.server.closeAllConnections();
  await Promise.all([new Promise((resolve) => fast.server.close(resolve)), new Promise((resolve) => slow.server.close(resolve))]);
} finally {
  await rm(folder, { recursive: true, force: true });
}
