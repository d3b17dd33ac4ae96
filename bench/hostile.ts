/**
 * `npm run bench:hostile`: does hostile input leave normal clients alone? A real `sightline serve`
 * (default limits, the full-size random-weight CLIP ViT-B/32, int8) serves two phases in one run:
 *
 *   (A) normal clients only — `--clients` loops posting a CLIP workflow on a 640×480 JPEG;
 *   (B) the same normal clients beside `--attackers` loops that cycle through the attacks of
 *       docs/reference/http.md#limits: a 32 KB 1-bit PNG of 16383², a 120-byte SVG of 16383², a
 *       1×100000 PNG, a definition with 100 custom JavaScript steps, 3,000 tiny images in one
 *       request, a 1 GiB image URL, JSON nested 10,000 deep, a URL with broken percent-encoding.
 *
 * It prints, for each phase, the normal requests answered 200 out of all, their p50/p99 latency
 * and the ratio B/A (same process, same run: the machine's noise cancels), what the attacks were
 * answered (status counts per attack), and the server's resident set sampled every 100 ms (start,
 * peak). It exits 1 when a normal request failed or the peak passed `--ceiling-mb`.
 *
 * Options: --seconds 60 (phase B; phase A is a quarter of it)  --clients 2  --attackers 4
 *          --ceiling-mb 1536
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { ensureBenchModel, projectRoot } from "./fixtures.js";

const ROOT = projectRoot(import.meta.dirname);
const MIB = 1024 * 1024;

// ---- the server and its memory -------------------------------------------------------------------

interface Served {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function serve(modelDir: string): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, "dist/cli/main.js"), "serve", "--port", "0", "--log-level", "warn", "--model", `ViT-B-32=${modelDir}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const match = /serving workflows on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function residentMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Samples the server's resident set every 100 ms until stopped; the peak and the samples. */
function sampleMemory(pid: number): { stop(): { peakMb: number; lastMb: number } } {
  let peakMb = 0;
  let lastMb = 0;
  const timer = setInterval(() => {
    lastMb = residentMb(pid);
    peakMb = Math.max(peakMb, lastMb);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return { peakMb, lastMb };
    },
  };
}

// ---- requests ------------------------------------------------------------------------------------

async function post(url: string, path: string, body: string): Promise<number> {
  try {
    const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // the connection failed: counted as such
  }
}

const image = (bytes: Buffer) => ({ type: "base64", value: bytes.toString("base64") });

function imageWorkflow(steps: unknown[], outputs: unknown[], inputs: unknown[] = [{ type: "WorkflowImage", name: "image" }]) {
  return { version: "1.0", inputs, steps, outputs };
}

const CLIP = imageWorkflow(
  [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-32" }],
  [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
);

const SIZE = imageWorkflow(
  [
    {
      type: "roboflow_core/property_definition@v1",
      name: "size",
      data: "$inputs.image",
      operations: [{ type: "ExtractImageProperty", property_name: "size" }],
    },
  ],
  [{ type: "JsonField", name: "size", selector: "$steps.size.output" }],
);

function customSteps(count: number) {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowParameter", name: "value" }],
    dynamic_blocks_definitions: [
      {
        type: "DynamicBlockDefinition",
        manifest: {
          type: "ManifestDescription",
          block_type: "Double",
          inputs: { value: { type: "DynamicInputDefinition", selector_types: ["input_parameter"] } },
          outputs: { doubled: { type: "DynamicOutputDefinition", kind: [] } },
        },
        code: { type: "JavaScriptCode", run_function_code: "function run({ value }) { return { doubled: value * 2 }; }" },
      },
    ],
    steps: Array.from({ length: count }, (_, i) => ({ type: "Double", name: `double_${i}`, value: "$inputs.value" })),
    outputs: Array.from({ length: count }, (_, i) => ({ type: "JsonField", name: `out_${i}`, selector: `$steps.double_${i}.doubled` })),
  };
}

interface Attack {
  name: string;
  send(url: string): Promise<number>;
}

/** A local server whose one route streams `bytes` generated bytes, as slowly as the reader reads. */
async function hugeFileServer(bytes: number): Promise<{ url: string; server: Server }> {
  const chunk = Buffer.alloc(MIB, 0x5a);
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "image/png" });
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!response.write(chunk)) return void response.once("drain", pump);
      }
      response.end();
    };
    response.on("close", () => (sent = bytes));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/huge.png`, server };
}

async function attacks(hugeUrl: string): Promise<Attack[]> {
  const bomb = await sharp({ create: { width: 16383, height: 16383, channels: 3, background: "#000" } })
    .png({ palette: true, colours: 2, compressionLevel: 9 })
    .toBuffer();
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16383" height="16383"><rect width="100%" height="100%"/></svg>');
  const line = await sharp({ create: { width: 100_000, height: 1, channels: 3, background: "#808080" } })
    .png()
    .toBuffer();
  const tiny = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#fff" } })
    .png()
    .toBuffer();
  const run = (specification: unknown, inputs: unknown) => JSON.stringify({ specification, inputs });
  const bodies = {
    bomb: run(SIZE, { image: image(bomb) }),
    svg: run(SIZE, { image: image(svg) }),
    line: run(CLIP, { image: image(line) }),
    steps: run(customSteps(100), { value: 21 }),
    many: run(SIZE, { image: Array.from({ length: 3000 }, () => image(tiny)) }),
    url: run(SIZE, { image: { type: "url", value: hugeUrl } }),
    nesting: `{"specification":${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
  };
  return [
    { name: "1-bit PNG bomb 16383²", send: (url) => post(url, "/workflows/run", bodies.bomb) },
    { name: "SVG 16383²", send: (url) => post(url, "/workflows/run", bodies.svg) },
    { name: "1×100000 PNG to CLIP", send: (url) => post(url, "/workflows/run", bodies.line) },
    { name: "100 custom JS steps", send: (url) => post(url, "/workflows/run", bodies.steps) },
    { name: "3,000 images in one request", send: (url) => post(url, "/workflows/run", bodies.many) },
    { name: "1 GiB image URL", send: (url) => post(url, "/workflows/run", bodies.url) },
    { name: "JSON nested 10,000 deep", send: (url) => post(url, "/workflows/run", bodies.nesting) },
    {
      name: "broken percent-encoding",
      send: async (url) => {
        const response = await fetch(`${url}/workflows/%E0%A4%A`).catch(() => null);
        await response?.arrayBuffer();
        return response?.status ?? 0;
      },
    },
  ];
}

// ---- load ----------------------------------------------------------------------------------------

interface NormalFigures {
  ok: number;
  total: number;
  latenciesMs: number[];
  statuses: Map<number, number>;
}

async function normalClients(url: string, clients: number, until: number, body: string): Promise<NormalFigures> {
  const figures: NormalFigures = { ok: 0, total: 0, latenciesMs: [], statuses: new Map() };
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const sent = performance.now();
        const status = await post(url, "/workflows/run", body);
        figures.total++;
        if (status === 200) {
          figures.ok++;
          figures.latenciesMs.push(performance.now() - sent);
        } else figures.statuses.set(status, (figures.statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return figures;
}

async function attackers(url: string, count: number, until: number, list: readonly Attack[]): Promise<Map<string, Map<number, number>>> {
  const answers = new Map(list.map((attack) => [attack.name, new Map<number, number>()]));
  await Promise.all(
    Array.from({ length: count }, async (_, attacker) => {
      for (let i = attacker; performance.now() < until; i++) {
        const attack = list[i % list.length];
        const status = await attack.send(url);
        const counts = answers.get(attack.name)!;
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
    }),
  );
  return answers;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const counts = (map: ReadonlyMap<number, number>) =>
  [...map]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status === 0 ? "no answer" : status}×${n}`)
    .join(", ") || "-";

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      clients: { type: "string", default: "2" },
      attackers: { type: "string", default: "4" },
      "ceiling-mb": { type: "string", default: "1536" },
    },
  });
  const seconds = Number(args.seconds);
  const ceilingMb = Number(args["ceiling-mb"]);
  const modelDir = await ensureBenchModel();
  const huge = await hugeFileServer(1024 * MIB);
  const server = await serve(modelDir);
  try {
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 40 } } })
      .jpeg()
      .toBuffer();
    const normalBody = JSON.stringify({ specification: CLIP, inputs: { image: image(photo) } });
    if ((await post(server.url, "/workflows/run", normalBody)) !== 200) throw new Error("the first normal request failed");
    const list = await attacks(huge.url);
    const startMb = residentMb(server.pid);

    const memoryA = sampleMemory(server.pid);
    const a = await normalClients(server.url, Number(args.clients), performance.now() + (seconds * 1000) / 4, normalBody);
    const peakA = memoryA.stop();

    const memoryB = sampleMemory(server.pid);
    const until = performance.now() + seconds * 1000;
    const [b, answers] = await Promise.all([
      normalClients(server.url, Number(args.clients), until, normalBody),
      attackers(server.url, Number(args.attackers), until, list),
    ]);
    const peakB = memoryB.stop();

    console.log(`bench:hostile — ${seconds} s of attacks beside ${args.clients} normal clients; ${args.attackers} attackers; server at default limits`);
    console.log(
      `normal clients   phase A (alone, ${seconds / 4} s): ${a.ok}/${a.total} answered 200 (others: ${counts(a.statuses)}), p50 ${quantile(a.latenciesMs, 0.5).toFixed(0)} ms, p99 ${quantile(a.latenciesMs, 0.99).toFixed(0)} ms`,
    );
    console.log(
      `normal clients   phase B (attacked, ${seconds} s): ${b.ok}/${b.total} answered 200 (others: ${counts(b.statuses)}), p50 ${quantile(b.latenciesMs, 0.5).toFixed(0)} ms, p99 ${quantile(b.latenciesMs, 0.99).toFixed(0)} ms`,
    );
    console.log(
      `latency B/A      p50 ×${(quantile(b.latenciesMs, 0.5) / quantile(a.latenciesMs, 0.5)).toFixed(2)}, p99 ×${(quantile(b.latenciesMs, 0.99) / quantile(a.latenciesMs, 0.99)).toFixed(2)}`,
    );
    for (const [name, statuses] of answers) console.log(`attack           ${name.padEnd(30)} ${counts(statuses)}`);
    console.log(
      `server RSS       start ${startMb.toFixed(0)} MB, peak alone ${peakA.peakMb.toFixed(0)} MB, peak attacked ${peakB.peakMb.toFixed(0)} MB, at the end ${peakB.lastMb.toFixed(0)} MB (ceiling ${ceilingMb} MB)`,
    );
    const failed = a.ok < a.total || b.ok < b.total || peakB.peakMb > ceilingMb;
    console.log(
      failed ? "RESULT: FAILED (a normal request failed or the ceiling was passed)" : "RESULT: every normal request answered 200; RSS stayed under the ceiling",
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    await server.stop();
    huge.server.closeAllConnections();
    huge.server.close();
  }
}

await main();
