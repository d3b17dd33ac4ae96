/** The server's small pure parts, checked exactly. */
import { describe, expect, it } from "vitest";
import { hostRefusal, isLoopbackHost, parseAllowedHost } from "../../src/server/host-check.js";
import { scanJsonText } from "../../src/server/json-body.js";
import { pathBeyondDepth } from "../../src/definition/json.js";
import { apiKeyMatches } from "../../src/server/auth.js";
import { ConcurrencyLimiter, MemoryBudget, raceAbort } from "../../src/server/limits.js";
import { comparedPrompts } from "../../src/server/clip.js";
import { flattenUpstreamPayload } from "../../src/server/pipelines.js";
import { escapeLabelValue, formatValue, renderMetrics } from "../../src/server/prometheus.js";
import { safeFileName, UploadStore } from "../../src/server/upload-store.js";
import { upstreamReportKeys } from "../../src/service/upstream-report.js";
import { resolveVideoReference } from "../../src/server/video-references.js";
import type { PipelineStatus, SourceStats } from "../../src/video/status.js";

describe("Prometheus text", () => {
  it("escapes label values and formats special numbers", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect([NaN, Infinity, -Infinity, 0.25, 3].map(formatValue)).toEqual(["NaN", "+Inf", "-Inf", "0.25", "3"]);
  });

  it("renders families with HELP, TYPE and samples (suffixes, labels)", () => {
    const text = renderMetrics([
      { name: "x_total", type: "counter", help: "Things.\nMore", samples: [{ labels: { pipeline: "p1", route: "/a" }, value: 2 }] },
      {
        name: "lat",
        type: "summary",
        help: "Latency",
        samples: [
          { labels: { quantile: "0.5" }, value: 0.1 },
          { suffix: "_count", labels: {}, value: 4 },
        ],
      },
      { name: "empty", type: "gauge", help: "None yet", samples: [] },
    ]);
    expect(text).toBe(
      [
        "# HELP x_total Things.\\nMore",
        "# TYPE x_total counter",
        'x_total{pipeline="p1",route="/a"} 2',
        "# HELP lat Latency",
        "# TYPE lat summary",
        'lat{quantile="0.5"} 0.1',
        "lat_count 4",
        "# HELP empty None yet",
        "# TYPE empty gauge",
        "",
      ].join("\n"),
    );
  });
});

describe("ConcurrencyLimiter", () => {
  it("runs up to the limit, queues FIFO up to the queue bound, refuses beyond with 429", async () => {
    const limiter = new ConcurrencyLimiter(1, 1);
    const order: string[] = [];
    let releaseFirst = () => {};
    const signal = new AbortController().signal;
    const first = limiter.run(() => new Promise<void>((resolve) => (releaseFirst = () => (order.push("first"), resolve()))), signal);
    const second = limiter.run(async () => void order.push("second"), signal);
    expect([limiter.active, limiter.queued]).toEqual([1, 1]);
    await expect(limiter.run(async () => undefined, signal)).rejects.toMatchObject({ httpStatus: 429, errorType: "TooManyRequestsError" });
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["first", "second"]);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it("a waiter aborted while queued leaves the queue with the abort reason", async () => {
    const limiter = new ConcurrencyLimiter(1, 4);
    let release = () => {};
    const running = limiter.run(() => new Promise<void>((resolve) => (release = resolve)), new AbortController().signal);
    const controller = new AbortController();
    const waiting = limiter.run(async () => "never", controller.signal);
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
    expect(limiter.queued).toBe(0);
    release();
    await running;
    expect(limiter.active).toBe(0);
  });

  it("rejects nonsensical bounds", () => {
    expect(() => new ConcurrencyLimiter(0, 1)).toThrow(RangeError);
    expect(() => new ConcurrencyLimiter(1, -1)).toThrow(RangeError);
  });

  it("raceAbort answers at the abort while the work goes on", async () => {
    const controller = new AbortController();
    let finish = (_value: number) => {};
    const work = new Promise<number>((resolve) => (finish = resolve));
    const raced = raceAbort(work, controller.signal);
    controller.abort(new Error("timeout"));
    await expect(raced).rejects.toThrow("timeout");
    finish(1);
    await expect(work).resolves.toBe(1);
    await expect(raceAbort(Promise.resolve(2), new AbortController().signal)).resolves.toBe(2);
  });
});

describe("MemoryBudget", () => {
  const MIB = 1024 * 1024;

  it("answers 429 for what does not fit beside the others, 413 for what would not fit it empty, and takes back what is released", async () => {
    const budget = new MemoryBudget(64 * MIB);
    const held = budget.reservation();
    held.add(40 * MIB, "image downloads");
    const other = budget.reservation();
    expect(() => other.add(30 * MIB, "image: 2000x2000")).toThrow(
      expect.objectContaining({
        httpStatus: 429,
        errorType: "TooManyRequestsError",
        headers: { "retry-after": "1" },
        message:
          "The server's in-flight memory budget of 64 MiB (--max-inflight-memory-mb) has 40 MiB in use; this request's images need 30 MiB more (image: 2000x2000). Retry later.",
      }),
    );
    // Growing one's own share beyond the whole budget can never succeed.
    other.add(10 * MIB, "a first image");
    expect(() => other.add(60 * MIB, "image: 6000x6000")).toThrow(expect.objectContaining({ httpStatus: 413, errorType: "PayloadTooLargeError" }));
    expect(budget.usedBytes).toBe(50 * MIB);
    held.release();
    held.release();
    expect(budget.usedBytes).toBe(10 * MIB);
    // A download of a request that has ended stops at its next bytes.
    expect(() => held.add(1, "image downloads")).toThrow("the request has ended; image downloads stopped");
    expect(budget.usedBytes).toBe(10 * MIB);
    await expect(budget.hold(async (reservation) => reservation.add(54 * MIB, "x"))).resolves.toBeUndefined();
    await expect(budget.hold(async () => Promise.reject(new Error("the run failed")))).rejects.toThrow("the run failed");
    expect(budget.usedBytes).toBe(10 * MIB);
  });
});

describe("API keys", () => {
  it("match only the exact key", () => {
    expect(apiKeyMatches("sekrit", "sekrit")).toBe(true);
    expect(apiKeyMatches("sekrit", "sekri")).toBe(false);
    expect(apiKeyMatches("sekrit", "sekrit ")).toBe(false);
    expect(apiKeyMatches("sekrit", undefined)).toBe(false);
  });
});

describe("uploads and video references", () => {
  it("safeFileName keeps a harmless base name with its extension", () => {
    expect(safeFileName("../../etc/passwd")).toBe("passwd");
    expect(safeFileName("my clip (1).mp4")).toBe("my_clip_1_.mp4");
    expect(safeFileName("..mp4")).toBe("mp4");
    expect(safeFileName(undefined)).toBe("upload");
    expect(safeFileName(`${"a".repeat(200)}.mp4`)).toHaveLength(100);
  });

  it("without local access only URLs and uploads pass, and paths are refused before touching the disk", async () => {
    const uploads = new UploadStore({ maxBytes: 1, maxCount: 1 });
    const policy = { allowLocalVideo: false, uploads };
    await expect(resolveVideoReference("rtsp://cam.local/stream", policy)).resolves.toEqual({
      name: undefined,
      reference: "rtsp://cam.local/stream",
      kind: "stream",
    });
    await expect(resolveVideoReference("front=http://cam.local/a.mjpg", policy)).resolves.toMatchObject({ name: "front", kind: "stream" });
    for (const reference of ["/etc/hosts", "clip.mp4", 0, "/dev/video0", "file:///etc/hosts"]) {
      await expect(resolveVideoReference(reference, policy)).rejects.toMatchObject({
        errorType: "RuntimeInputError",
        message: expect.stringMatching(/--allow-local-video/),
      });
    }
    await expect(resolveVideoReference("upload:missing", policy)).rejects.toMatchObject({
      errorType: "RuntimeInputError",
      message: expect.stringMatching(/no upload "missing"/),
    });
    await expect(resolveVideoReference("/definitely/not/here.mp4", { allowLocalVideo: true, uploads })).resolves.toMatchObject({ kind: "file" });
  });
});

describe("upstream's nested initialise payload", () => {
  it("is flattened; a flat body passes unchanged", () => {
    const nested = {
      video_configuration: { type: "VideoConfiguration", video_reference: ["a.mp4", 0], max_fps: 5 },
      processing_configuration: {
        type: "WorkflowConfiguration",
        workflow_specification: { version: "1.0" },
        image_input_name: "frame",
        workflows_parameters: { k: 1 },
        video_metadata_input_name: "vm",
      },
      sink_configuration: { type: "MemorySinkConfiguration", results_buffer_size: 12 },
      api_key: "k",
    };
    expect(flattenUpstreamPayload(nested)).toEqual({
      video_reference: ["a.mp4", 0],
      max_fps: 5,
      workflow_specification: { version: "1.0" },
      workspace_name: undefined,
      workflow_id: undefined,
      workflows_parameters: { k: 1 },
      image_input_name: "frame",
      video_metadata_input_name: "vm",
      results_buffer_size: 12,
      api_key: "k",
    });
    const flat = { video_reference: "x" };
    expect(flattenUpstreamPayload(flat)).toBe(flat);
  });
});

describe("the Host check", () => {
  it("knows loopback hosts", () => {
    expect(["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "LOCALHOST"].map(isLoopbackHost)).toEqual([true, true, true, true, true, true]);
    expect(["0.0.0.0", "192.168.1.2", "::", "example.com", "127.0.0.256", "localhost.example", "127.0.0.1.example"].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("decides from Host and Origin, the port the request came in on and the allow-list", () => {
    const policy = { port: 9001, allowed: ["cam.example", "proxy.example:8080", "[fd00::1]"].map(parseAllowedHost) };
    const accepted = (host: string | undefined, origin?: string) => hostRefusal({ host, origin }, policy) === null;
    expect(
      ["localhost:9001", "127.0.0.1:9001", "[::1]:9001", "cam.example", "cam.example:1", "proxy.example:8080", "[FD00::1]:5"].map((host) => accepted(host)),
    ).toEqual([true, true, true, true, true, true, true]);
    expect(
      ["localhost", "localhost:9002", "proxy.example", "proxy.example:8081", "attacker.example:9001", "cam.example.attacker.example", "a b", ""].map((host) =>
        accepted(host),
      ),
    ).toEqual([false, false, false, false, false, false, false, false]);
    expect(accepted(undefined)).toBe(false);
    expect(["http://localhost:9001", "https://cam.example", "http://proxy.example:8080"].map((origin) => accepted("localhost:9001", origin))).toEqual([
      true,
      true,
      true,
    ]);
    expect(
      [
        "null",
        "http://localhost:9002",
        "http://localhost",
        "http://attacker.example",
        "http://localhost:9001/path",
        "ftp://localhost:9001",
        "http://user@localhost:9001",
      ].map((origin) => accepted("localhost:9001", origin)),
    ).toEqual([false, false, false, false, false, false, false]);
  });

  it("names the header, what is answered and the flag", () => {
    expect(hostRefusal({ host: "attacker.example:9001" }, { port: 9001, allowed: [] })).toMatch(
      /^Host "attacker\.example:9001" is not a name of this server: it answers only requests for localhost, 127\.0\.0\.1 or \[::1\] on port 9001.*--allowed-hosts attacker\.example/,
    );
    expect(hostRefusal({ host: "localhost:9001", origin: "http://evil.example" }, { port: 9001, allowed: [parseAllowedHost("cam.example")] })).toMatch(
      /^Origin "http:\/\/evil\.example" is not a site of this server: it answers only pages served from localhost, 127\.0\.0\.1 or \[::1\] on port 9001, or cam\.example.*--allowed-hosts/,
    );
  });

  it("refuses allow-list entries that are not host names", () => {
    for (const entry of ["http://cam.example", "cam.example/x", "cam.example:99999", "*.example", ""])
      expect(() => parseAllowedHost(entry), entry).toThrow(RangeError);
    expect(parseAllowedHost(" Cam.Example:8080 ")).toEqual({ name: "cam.example", port: 8080 });
  });
});

describe("scanning a JSON body's text", () => {
  it("measures nesting outside strings, escaped quotes included", () => {
    expect(scanJsonText('{"a": [[1]], "b": "[[[[[[\\"[[["}', 3).tooDeepAt).toBeNull();
    expect(scanJsonText('{"a": [[[1]]]}', 3).tooDeepAt).toBe(8);
    expect(scanJsonText("[".repeat(10_000), 100).tooDeepAt).toBe(100);
  });

  it("finds the top-level api_key as JSON.parse would read it, and nowhere else", () => {
    const key = (text: string) => scanJsonText(text, 100).apiKey;
    expect(key('{"api_key": "k"}')).toBe("k");
    expect(key('{"a": {"api_key": "nested"}, "b": [{"api_key": "in a list"}], "api_key": "top"}')).toBe("top");
    expect(key('{"api_key": "first", "api_key": "last"}')).toBe("last");
    expect(key('{"api_key": "first", "api_key": 42}')).toBeUndefined();
    expect(key('{"api\\u005fkey": "k\\u0065y"}')).toBe("key");
    expect(key('{"note": "\\"api_key\\": \\"hidden\\"", "x": 1}')).toBeUndefined();
    expect(key('[{"api_key": "k"}]')).toBeUndefined();
    expect(key('{"x": "unterminated, "api_key": "k"}')).toBeUndefined();
  });
});

describe("nesting depth of a value", () => {
  it("is measured without recursion, and only through lists and plain objects", () => {
    const nested = JSON.parse("[".repeat(10_000) + "]".repeat(10_000)) as unknown;
    expect(pathBeyondDepth(nested, 100)).toEqual(Array.from({ length: 100 }, () => 0));
    expect(pathBeyondDepth({ a: [[{ b: [] }]] }, 5)).toBeNull();
    expect(pathBeyondDepth({ a: [[{ b: [] }]] }, 4)).toEqual(["a", 0, 0, "b"]);
    expect(
      pathBeyondDepth(
        {
          pixels: new Uint8Array(4),
          image: new (class {
            inner = [[[[]]]];
          })(),
        },
        1,
      ),
    ).toBeNull();
  });
});

describe("upstream's pipeline report keys", () => {
  const latency = (mean_ms: number | null) => ({ count: mean_ms === null ? 0 : 1, mean_ms, p50_ms: mean_ms, p99_ms: mean_ms });
  const stream: SourceStats = {
    source: "cam",
    reference: "rtsp://user:***@cam/live",
    kind: "stream",
    state: "running",
    framesDecoded: 10,
    framesDelivered: 9,
    framesDropped: 1,
    framesWithoutPixels: 0,
    reconnects: 1,
    errors: 0,
    declaredFps: null,
    measuredFps: 12.5,
    totalFrames: null,
  };
  const status: PipelineStatus = {
    state: "paused",
    ticks: 9,
    frames: 9,
    flagged: 0,
    errors: 0,
    dropped: 1,
    fps: 4.5,
    elapsed_s: 2,
    sources: [stream],
    latency: { wait: latency(10), inference: latency(250), end_to_end: latency(null) },
    failure: null,
  };

  it("describes opened and not yet opened sources, latencies in seconds, and source events as StatusUpdates naming the source by position", () => {
    const keys = upstreamReportKeys({
      status,
      sources: [
        { name: "cam", reference: "rtsp://user:***@cam/live" },
        { name: "yard", reference: "yard.mp4" },
      ],
      events: [
        { type: "reconnecting", source: "cam", reference: "rtsp://user:***@cam/live", attempt: 1, delayMs: 500, reason: "EOF", at: "2026-01-01T00:00:00.000Z" },
        { type: "failed", source: "yard", reference: "yard.mp4", message: "gone", at: "2026-01-01T00:00:01.000Z" },
      ],
      frameSizes: [{ width: 640, height: 480 }],
      startedAt: new Date("2026-01-01T00:00:00.000Z"),
    });
    expect(keys.inference_throughput).toBe(4.5);
    expect(keys.sources_metadata).toEqual([
      {
        source_properties: {
          width: 640,
          height: 480,
          total_frames: -1,
          is_file: false,
          fps: 12.5,
          is_reconnectable: true,
          timestamp_created: "2026-01-01T00:00:00.000Z",
        },
        source_reference: "rtsp://user:***@cam/live",
        buffer_size: null,
        state: "PAUSED",
        buffer_filling_strategy: "DROP_OLDEST",
        buffer_consumption_strategy: "EAGER",
        source_id: 0,
      },
      {
        source_properties: null,
        source_reference: "yard.mp4",
        buffer_size: null,
        state: "INITIALISING",
        buffer_filling_strategy: null,
        buffer_consumption_strategy: null,
        source_id: 1,
      },
    ]);
    expect(keys.latency_reports[1]).toEqual({ source_id: 1, frame_decoding_latency: 0.01, inference_latency: 0.25, e2e_latency: null });
    expect(keys.video_source_status_updates).toEqual([
      {
        timestamp: "2026-01-01T00:00:00.000Z",
        severity: 30,
        event_type: "SOURCE_STATE_UPDATE",
        payload: {
          source_id: 0,
          source_reference: "rtsp://user:***@cam/live",
          previous_state: "RUNNING",
          new_state: "RESTARTING",
          attempt: 1,
          delay_ms: 500,
          reason: "EOF",
        },
        context: "video_source",
      },
      {
        timestamp: "2026-01-01T00:00:01.000Z",
        severity: 40,
        event_type: "SOURCE_ERROR",
        payload: { source_id: 1, source_reference: "yard.mp4", error_message: "gone", error_context: "source_failed" },
        context: "video_source",
      },
    ]);
  });
});

describe("CLIP comparison prompts", () => {
  it("tell a list, one prompt, named prompts and one image apart, as upstream", () => {
    const image = { type: "base64", value: "AAAA" };
    expect(comparedPrompts(["a", "b"])).toEqual({ prompts: ["a", "b"], names: null });
    expect(comparedPrompts("a")).toEqual({ prompts: ["a"], names: null });
    expect(comparedPrompts({ day: "a", night: "b" })).toEqual({ prompts: ["a", "b"], names: ["day", "night"] });
    expect(comparedPrompts(image)).toEqual({ prompts: [image], names: null });
    expect(comparedPrompts({ left: image })).toEqual({ prompts: [image], names: ["left"] });
  });
});
