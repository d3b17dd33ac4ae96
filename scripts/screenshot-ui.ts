/**
 * Retakes the web UI's screenshots in docs/images/ (`npx tsx scripts/screenshot-ui.ts`, after
 * `npm run build`): the editor with the outlier-frames example loaded, and the run view watching
 * a generated video with two short events through the calibrated outlier detector. It runs a real server with a tiny random-weight CLIP made on the spot (no
 * download), and Debian's Chromium headless (`/usr/bin/chromium`, or CHROMIUM=<path>). The PNGs
 * are palette-quantised to keep the repository small.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { Services } from "../src/index.js";
import { createTinyClipModel } from "../src/models/index.js";
import { createServer } from "../src/server/index.js";
import { makeTestVideo } from "../src/video/testing.js";

const ROOT = resolve(import.meta.dirname, "..");
const IMAGES = join(ROOT, "docs/images");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const VIEWPORT = { width: 1280, height: 760 };
const WAIT = { timeout: 60_000 };

/** What the run view watches: CLIP embeddings and the calibrated outlier detector's score and threshold. */
const RUN_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "roboflow_core/clip@v1", name: "embedding", data: "$inputs.image" },
    { type: "sightline/detect_outliers@v1", name: "outliers", embedding: "$steps.embedding.embedding", false_alarm_rate: 0.02 },
  ],
  outputs: [
    { type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" },
    { type: "JsonField", name: "score", selector: "$steps.outliers.score" },
    { type: "JsonField", name: "threshold", selector: "$steps.outliers.threshold" },
  ],
};

/** The generated video's events (1-based frames), each a few frames of one colour over a moving test pattern. */
const EVENTS = [
  { from: 150, to: 157, color: "red" },
  { from: 230, to: 237, color: "blue" },
];

async function save(page: Page, name: string): Promise<void> {
  const png = await page.screenshot();
  const path = join(IMAGES, name);
  await sharp(png).png({ palette: true, quality: 90, compressionLevel: 9 }).toFile(path);
  console.log(`wrote ${path}`);
}

async function editorShot(page: Page): Promise<void> {
  await page.getByLabel("Load example").selectOption("outlier-frames");
  const outliers = page.getByRole("region", { name: "Step outliers", exact: true });
  await outliers.waitFor(WAIT);
  await page.getByRole("status", { name: "Validation" }).getByText("Valid", { exact: true }).waitFor(WAIT);
  // The step's form in the side panel, and the graph large enough to read.
  await outliers.getByText("Identify Outliers", { exact: true }).click();
  for (let i = 0; i < 2; i++) await page.getByRole("button", { name: "zoom in" }).click();
  await page.waitForTimeout(500);
  await save(page, "editor.png");
}

async function runShot(page: Page, video: string): Promise<void> {
  await page.getByLabel("Workflow name").fill("watch-yard");
  await page.getByRole("tab", { name: "JSON" }).click();
  await page.getByLabel("Definition JSON text").fill(JSON.stringify(RUN_WORKFLOW, null, 2));
  await page.getByRole("region", { name: "Step outliers", exact: true }).waitFor(WAIT);
  await page.getByRole("navigation", { name: "Views" }).getByRole("button", { name: "Run" }).click();
  await page.getByRole("radio", { name: "Video" }).check();
  await page.getByLabel("Video file").setInputFiles(video);
  await page.getByLabel("Max fps").fill("30");
  await page.getByRole("button", { name: "Start" }).click();
  const gallery = page.getByRole("list", { name: "Outlier gallery" });
  await gallery.getByRole("listitem", { name: new RegExp(`^Frame ${EVENTS[1].from},`) }).waitFor(WAIT);
  await page.waitForTimeout(1500);
  await save(page, "run.png");
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, "dist/ui/index.html"))) throw new Error("the web UI is not built: run `npm run build` first");
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  const scratch = mkdtempSync(join(tmpdir(), "sightline-screenshots-"));
  const folder = await createTinyClipModel(join(scratch, "tiny-clip"));
  const services = new Services({ models: { folders: { "ViT-B-32": folder }, offline: true } });
  const server = createServer({ services, uploadDir: scratch });
  const context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: VIEWPORT,
  });
  try {
    const video = await makeTestVideo(join(scratch, "yard.mp4"), {
      width: 160,
      height: 120,
      fps: 15,
      frames: 300,
      background: "testsrc2",
      anomalies: EVENTS,
    });
    const base = await server.app.listen({ host: "127.0.0.1", port: 0 });
    const page = await context.newPage();
    await page.goto(base);
    await page.getByRole("button", { name: "Add CLIP Embedding Model" }).waitFor(WAIT);
    await editorShot(page);
    await runShot(page, video.path);
  } finally {
    await context.close();
    await server.close();
    await services.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
