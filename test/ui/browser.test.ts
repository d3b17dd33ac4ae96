/**
 * The web UI in Debian's Chromium (playwright-core), against a real server with a tiny CLIP
 * generated here: building a workflow by interacting with the editor, running it on a video with
 * an anomalous stretch and seeing the flagged frame in the gallery; the JSON view driving the
 * graph; validation messages at the node and the field; the bundled examples; the API key prompt.
 * Screenshots go to `test-artifacts/ui/`. Skipped, saying so, where /usr/bin/chromium is missing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, type Locator, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Services } from "../../src/index.js";
import { createTinyClipModel } from "../../src/models/index.js";
import { createServer, type SightlineServer } from "../../src/server/index.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { closePage, ensureUiBuilt, freshPage, haveChromium, launchChromium, runOnImage, screenshot, stepNode as testStepNode, WAIT } from "./chromium.js";

/** The video's anomalous stretch (1-based frame numbers): full red frames in a moving test pattern. */
const ANOMALY = { from: 41, to: 50 };

describe.skipIf(!haveChromium("test/ui/browser.test.ts"))("web UI in Chromium", () => {
  let scratch: string;
  let services: Services;
  let server: SightlineServer;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let video: string;

  beforeAll(async () => {
    ensureUiBuilt();
    scratch = mkdtempSync(join(tmpdir(), "sightline-ui-"));
    const folder = await createTinyClipModel(join(scratch, "tiny-clip"));
    services = new Services({ models: { folders: { "ViT-B-32": folder }, offline: true } });
    server = createServer({ services, uploadDir: scratch });
    base = await server.app.listen({ host: "127.0.0.1", port: 0 });
    video = (
      await makeTestVideo(join(scratch, "anomaly.mp4"), {
        width: 96,
        height: 72,
        fps: 15,
        // 20 s at the run's 15 fps: long enough to pause, resume and terminate it mid-way.
        frames: 300,
        background: "testsrc2",
        anomalies: [{ ...ANOMALY, color: "red" }],
      })
    ).path;
    context = await launchChromium(join(scratch, "profile"));
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await services?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(async () => {
    page = await freshPage(context, base);
  });

  afterEach((test) => closePage(page, test));

  const shot = (name: string) => screenshot(page, name);
  const stepNode = (name: string) => testStepNode(page, name);
  const validation = () => page.getByRole("status", { name: "Validation" });
  /** Validation messages resize nodes: wait for the latest answer before measuring where handles are. */
  const validationSettled = () => page.locator('[role="status"][aria-label="Validation"][aria-busy="false"]').waitFor(WAIT);

  async function addBlock(search: string, title: string): Promise<void> {
    await page.getByLabel("Search blocks").fill(search);
    await page.getByRole("button", { name: `Add ${title}` }).click();
  }

  /** Where a handle is once the canvas has stopped moving (new nodes are brought into view). */
  async function settledCentre(handle: Locator): Promise<{ x: number; y: number }> {
    let previous = "";
    for (;;) {
      await handle.waitFor(WAIT);
      const box = await handle.boundingBox();
      const current = JSON.stringify(box);
      if (box && current === previous) return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      previous = current;
      await page.waitForTimeout(150);
    }
  }

  async function connect(from: string, to: string): Promise<void> {
    await validationSettled();
    const start = await settledCentre(page.getByLabel(from, { exact: true }));
    const end = await settledCentre(page.getByLabel(to, { exact: true }));
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    await page.mouse.move(end.x, end.y, { steps: 15 });
    await page.mouse.up();
  }

  async function clickEmptyCanvas(): Promise<void> {
    await page.getByRole("region", { name: "Workflow graph" }).click({ position: { x: 12, y: 12 } });
  }

  it("builds a workflow in the editor, runs it on a video and shows the anomalous frame in the outlier gallery", async () => {
    await page.getByRole("button", { name: "New", exact: true }).click();
    await page.getByRole("button", { name: "+ Image input" }).click();
    await addBlock("clip embedding", "CLIP Embedding Model");
    await addBlock("identify outliers", "Identify Outliers");
    await stepNode("identify_outliers").waitFor(WAIT);

    await connect("Output of input image", "Property data of clip");
    await connect("Output embedding of clip", "Property embedding of identify_outliers");
    // An image is no float: the drop is refused, and the canvas says why.
    await connect("Output of input image", "Property threshold_percentile of identify_outliers");
    await page.getByRole("alert").filter({ hasText: '"threshold_percentile" accepts [float_zero_to_one], not [image].' }).waitFor(WAIT);

    await stepNode("identify_outliers").getByText("Identify Outliers", { exact: true }).click();
    await page.getByLabel("warmup", { exact: true }).fill("5");

    await clickEmptyCanvas();
    await page.getByLabel("Output selector").selectOption("$steps.identify_outliers.is_outlier");
    await page.getByLabel("Output name").fill("is_outlier");
    await page.getByRole("button", { name: "Add output" }).click();
    await clickEmptyCanvas();
    await page.getByLabel("Output selector").selectOption("$steps.identify_outliers.percentile");
    await page.getByRole("button", { name: "Add output" }).click();
    await page.getByRole("region", { name: "Output percentile" }).waitFor(WAIT);
    await validation().getByText("Valid", { exact: true }).waitFor(WAIT);

    await page.getByRole("tab", { name: "JSON" }).click();
    const json = JSON.parse(await page.getByLabel("Definition JSON text").inputValue()) as { steps: Record<string, unknown>[]; outputs: unknown[] };
    expect(json.steps).toEqual([
      { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
      { type: "roboflow_core/identify_outliers@v1", name: "identify_outliers", embedding: "$steps.clip.embedding", warmup: 5 },
    ]);
    expect(json.outputs).toEqual([
      { type: "JsonField", name: "is_outlier", selector: "$steps.identify_outliers.is_outlier" },
      { type: "JsonField", name: "percentile", selector: "$steps.identify_outliers.percentile" },
    ]);
    await shot("editor-built-workflow");

    await page.getByRole("navigation", { name: "Views" }).getByRole("button", { name: "Run" }).click();
    await page.getByRole("radio", { name: "Video" }).check();
    await page.getByLabel("Video file").setInputFiles(video);
    await page.getByLabel("Max fps").fill("15");
    await page.getByRole("button", { name: "Start" }).click();

    const gallery = page.getByRole("list", { name: "Outlier gallery" });
    const anomalous = gallery.getByRole("listitem", { name: new RegExp(`^Frame ${ANOMALY.from},`) });
    await anomalous.waitFor(WAIT);
    expect(await anomalous.getByRole("img").getAttribute("src")).toMatch(/^data:image\/jpeg;base64,/);
    await page.getByRole("img", { name: /^Chart of .*percentile/ }).waitFor(WAIT);
    await page.getByRole("table", { name: "Latest frames" }).waitFor(WAIT);
    const pipelineState = (state: RegExp) => page.getByRole("definition").filter({ hasText: state }).first().waitFor(WAIT);
    await pipelineState(/^running$/);
    await shot("run-outlier-gallery");

    await page.getByRole("button", { name: "Pause" }).click();
    await pipelineState(/^paused$/);
    await page.getByRole("button", { name: "Resume" }).click();
    await pipelineState(/^running$/);
    await page.getByRole("button", { name: "Terminate" }).click();
    await page.getByText(/ — ended$/).waitFor(WAIT);
    const labels = await gallery.getByRole("listitem").evaluateAll((items) => items.map((item) => item.getAttribute("aria-label") ?? ""));
    const flaggedNumbers = labels.map((label) => Number(/^Frame (\d+),/.exec(label)?.[1]));
    expect(flaggedNumbers).toContain(ANOMALY.from);
    // Newest first.
    expect(flaggedNumbers).toEqual([...flaggedNumbers].sort((a, b) => b - a));
  }, 180_000);

  it("runs the workflow on one image and shows its outputs, images included", async () => {
    await page.getByRole("tab", { name: "JSON" }).click();
    const definition = {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [
        { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
        { type: "roboflow_core/grid_visualization@v1", name: "grid", images: ["$inputs.image", "$inputs.image"], width: 128, height: 48 },
      ],
      outputs: [
        { type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" },
        { type: "JsonField", name: "mosaic", selector: "$steps.grid.image" },
      ],
    };
    await page.getByLabel("Definition JSON text").fill(JSON.stringify(definition));
    await stepNode("grid").waitFor(WAIT);
    const png = join(scratch, "still.png");
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .png()
      .toFile(png);

    const result = await runOnImage(page, png);
    const mosaic = result.getByRole("img", { name: "mosaic 1" });
    await mosaic.waitFor(WAIT);
    // The image it ran on is shown with its outputs.
    const input = (await result.getByRole("img", { name: "Image run on" }).getAttribute("src")) ?? "";
    expect((await sharp(Buffer.from(input.split(",")[1], "base64")).metadata()).width).toBe(64);
    const source = (await mosaic.getAttribute("src")) ?? "";
    expect(source).toMatch(/^data:image\/jpeg;base64,/);
    expect((await sharp(Buffer.from(source.split(",")[1], "base64")).metadata()).width).toBe(128);
    const embedding = JSON.parse(
      (await result.getByRole("heading", { name: "embedding" }).locator("xpath=following-sibling::pre").textContent()) ?? "null",
    ) as unknown;
    expect(Array.isArray(embedding) && embedding.length).toBe(16);
    await shot("run-single-image");
  }, 120_000);

  it("keeps the graph in sync with the JSON view and shows where invalid JSON is broken", async () => {
    await page.getByRole("tab", { name: "JSON" }).click();
    const text = page.getByLabel("Definition JSON text");
    const definition = {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "frame" }],
      steps: [{ type: "roboflow_core/clip@v1", name: "from_json", data: "$inputs.frame" }],
      outputs: [{ type: "JsonField", name: "vector", selector: "$steps.from_json.embedding" }],
    };
    await text.fill(JSON.stringify(definition, null, 2));
    await stepNode("from_json").waitFor(WAIT);
    await page.getByRole("region", { name: "Input frame" }).waitFor(WAIT);
    await page.getByRole("region", { name: "Output vector" }).waitFor(WAIT);
    await validation().getByText("Valid", { exact: true }).waitFor(WAIT);

    await text.fill('{\n  "version": "1.0",\n  "steps": [\n    {"type": "x" "name": "y"}\n  ]\n}');
    const problem = page.getByRole("alert").filter({ hasText: "Line 4, column 18" });
    await problem.waitFor(WAIT);
    expect(await problem.textContent()).toContain('expected "," or "}"');
    expect(await text.getAttribute("aria-invalid")).toBe("true");
    // The last valid definition stays on the canvas.
    expect(await stepNode("from_json").isVisible()).toBe(true);
    await shot("json-view-error");
  }, 120_000);

  it("shows validation errors at the node and at the field", async () => {
    await addBlock("cosine", "Cosine Similarity");
    const node = stepNode("cosine_similarity");
    await node.getByText(/embedding_1: required/).waitFor(WAIT);
    await validation()
      .getByText(/^Invalid/)
      .waitFor(WAIT);
    const field = page.getByLabel("embedding_1", { exact: true });
    await field.waitFor(WAIT);
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    const describedBy = await field.getAttribute("aria-describedby");
    expect(describedBy).toBeTruthy();
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/embedding_1: required/);
    await shot("validation-inline");
  }, 120_000);

  it("loads a bundled example and renders its steps", async () => {
    await page.getByLabel("Load example").selectOption("outlier-frames");
    for (const name of ["sample", "embedding", "outliers", "only_outliers", "collect", "prepend", "grid"]) await stepNode(name).waitFor(WAIT);
    await page.getByRole("region", { name: "Output is_outlier" }).waitFor(WAIT);
    await validation().getByText("Valid", { exact: true }).waitFor(WAIT);
    await shot("example-outlier-frames");
  }, 120_000);

  it("works from http://localhost:PORT as from 127.0.0.1: the Host check answers both", async () => {
    const local = base.replace("127.0.0.1", "localhost");
    const refused: string[] = [];
    page.on("response", (response) => {
      if (response.status() === 403) refused.push(response.url());
    });
    await page.goto(local);
    // The catalogue (a GET) and the example's validation (a POST, sent with Origin) both come from the server.
    await page.getByLabel("Load example").selectOption("outlier-frames");
    await stepNode("grid").waitFor(WAIT);
    await validation().getByText("Valid", { exact: true }).waitFor(WAIT);
    expect(refused).toEqual([]);
  }, 120_000);

  it("asks for the API key of a server that requires one", async () => {
    const guarded = createServer({ apiKey: "open sesame" });
    try {
      const url = await guarded.app.listen({ host: "127.0.0.1", port: 0 });
      await page.goto(url);
      const dialog = page.getByRole("dialog", { name: "API key required" });
      await dialog.waitFor(WAIT);
      await dialog.getByLabel("API key").fill("wrong");
      await dialog.getByRole("button", { name: "Continue" }).click();
      await dialog.getByRole("alert").filter({ hasText: "refused" }).waitFor(WAIT);
      await dialog.getByLabel("API key").fill("open sesame");
      await dialog.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Add CLIP Embedding Model" }).waitFor(WAIT);
      expect(await dialog.count()).toBe(0);
    } finally {
      await guarded.close();
    }
  }, 120_000);
});
