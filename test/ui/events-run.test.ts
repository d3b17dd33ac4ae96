/**
 * The run view's honesty and the Events page in Chromium (test/ui/chromium.ts), against a real
 * server and model-free workflows: a JavaScript block flags red frames planted in a generated
 * video and feeds its mean colour to identify_outliers. "Flag frames when true" offers only the
 * boolean outputs; the score chart draws identify_outliers' threshold band and warm-up; the
 * Events page lists exactly the planted frames and opens one; a property shows its default; a
 * stream that cannot be reached shows as reconnecting, not running. Screenshots go to
 * `test-artifacts/ui/`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createServer, type SightlineServer } from "../../src/server/index.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { imageBlockDefinition, MEAN_COLOUR_RUN_START } from "../helpers/workflows.js";
import { closePage, ensureUiBuilt, freshPage, haveChromium, launchChromium, screenshot, stepNode, WAIT } from "./chromium.js";

const PLANTED = [6, 7, 15, 22];
const WARMUP = 5;
const THRESHOLD_PERCENTILE = 0.1;

/** Red frames flagged from their pixels (`red_is_outlier`), and every frame's mean colour as an embedding for identify_outliers. */
const RED_FRAMES = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  dynamic_blocks_definitions: [
    imageBlockDefinition(
      "RedFrame",
      { is_outlier: ["boolean"], colour: ["embedding"] },
      [
        ...MEAN_COLOUR_RUN_START,
        "  const colour = mean.map((value) => value + 1);",
        "  return { is_outlier: colour[0] > 180 && colour[1] < 90, colour };",
        "}",
      ].join("\n"),
    ),
  ],
  steps: [
    { type: "RedFrame", name: "red", image: "$inputs.image" },
    {
      type: "roboflow_core/identify_outliers@v1",
      name: "outliers",
      embedding: "$steps.red.colour",
      threshold_percentile: THRESHOLD_PERCENTILE,
      warmup: WARMUP,
    },
  ],
  outputs: [
    { type: "JsonField", name: "red_is_outlier", selector: "$steps.red.is_outlier" },
    { type: "JsonField", name: "outliers", selector: "$steps.outliers.*" },
  ],
};

const DETECTOR = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
    { type: "sightline/detect_outliers@v1", name: "detector", embedding: "$steps.clip.embedding" },
  ],
  outputs: [{ type: "JsonField", name: "detector", selector: "$steps.detector.*" }],
};

/** What the test reads of an `<img>` in the page (the tests are typed without the DOM's types). */
interface LoadedImage {
  complete: boolean;
  naturalWidth: number;
}

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!haveChromium("test/ui/events-run.test.ts"))("run view and Events page in Chromium", () => {
  let scratch: string;
  let server: SightlineServer;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let video: string;

  beforeAll(async () => {
    ensureUiBuilt();
    scratch = mkdtempSync(join(tmpdir(), "sightline-ui-events-"));
    server = createServer({ uploadDir: scratch, dataDir: join(scratch, "data") });
    base = await server.app.listen({ host: "127.0.0.1", port: 0 });
    video = (
      await makeTestVideo(join(scratch, "planted.mp4"), {
        frames: 30,
        fps: 10,
        background: "gray",
        anomalies: [
          { from: 6, to: 7, color: "red" },
          { from: 15, color: "red" },
          { from: 22, color: "red" },
        ],
      })
    ).path;
    context = await launchChromium(join(scratch, "profile"));
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(async () => {
    page = await freshPage(context, base);
  });

  afterEach((test) => closePage(page, test));

  const goTo = (view: string) => page.getByRole("navigation", { name: "Views" }).getByRole("button", { name: view }).click();

  async function loadDefinition(definition: unknown, step: string): Promise<void> {
    await page.getByRole("tab", { name: "JSON" }).click();
    await page.getByLabel("Definition JSON text").fill(JSON.stringify(definition));
    await stepNode(page, step).waitFor(WAIT);
    await page.getByRole("tab", { name: "Properties" }).click();
  }

  it("offers boolean outputs as flags, charts threshold and warm-up, and lists exactly the flagged frames as events", async () => {
    await loadDefinition(RED_FRAMES, "outliers");
    await goTo("Run");
    await page.getByRole("radio", { name: "Video" }).check();
    await page.getByLabel("Video file").setInputFiles(video);

    const flags = page.getByRole("group", { name: "Flag frames when true" });
    await flags.getByRole("checkbox").first().waitFor(WAIT);
    const offered = await flags.getByRole("checkbox").evaluateAll((boxes) => boxes.map((box) => box.parentElement?.textContent ?? ""));
    // outliers.percentile (a float) is no flag; the booleans are, the *_is_outlier ones ticked.
    expect(offered).toEqual(["red_is_outlier", "outliers.is_outlier", "outliers.warming_up"]);
    expect(await flags.getByRole("checkbox", { name: "red_is_outlier" }).isChecked()).toBe(true);
    expect(await flags.getByRole("checkbox", { name: "outliers.warming_up" }).isChecked()).toBe(false);
    // Identical grey frames are all "outliers" to identify_outliers: only the red ones are to flag.
    await flags.getByRole("checkbox", { name: "outliers.is_outlier" }).uncheck();
    await page.getByRole("button", { name: "Start" }).click();
    await page.getByText(/ — ended$/).waitFor(WAIT);

    const chart = page.getByRole("img", { name: /^Chart of .*outliers\.percentile/ });
    await chart.waitFor(WAIT);
    const thresholds = await chart.locator(".chart-threshold").evaluateAll((lines) => lines.map((line) => Number(line.getAttribute("data-value"))));
    expect(thresholds.sort()).toEqual([THRESHOLD_PERCENTILE, 1 - THRESHOLD_PERCENTILE]);
    const warmup = chart.locator(".chart-warmup");
    // identify_outliers warms up while it has seen fewer than `warmup` frames: frames 1–4.
    expect([await warmup.getAttribute("data-from"), await warmup.getAttribute("data-to")]).toEqual(["1", String(WARMUP - 1)]);
    await screenshot(page, "run-chart-threshold-warmup");

    await goTo("Events");
    const events = page.getByRole("list", { name: "Events" });
    await events.getByRole("button").first().waitFor(WAIT);
    const labels = await events.getByRole("button").evaluateAll((cards) => cards.map((card) => card.getAttribute("aria-label") ?? ""));
    // Newest first: exactly the planted frames.
    expect(labels.map((label) => Number(/^Frame (\d+) of /.exec(label)?.[1]))).toEqual([...PLANTED].reverse());
    expect(await page.getByRole("heading", { name: /^Events/ }).textContent()).toContain(`(${PLANTED.length} recorded)`);
    for (const thumbnail of await events.locator("img").all()) {
      await expect
        .poll(() => thumbnail.evaluate((image) => (image as unknown as LoadedImage).complete && (image as unknown as LoadedImage).naturalWidth > 0), WAIT)
        .toBe(true);
    }

    await events.getByRole("button", { name: /^Frame 15 of / }).click();
    const panel = page.getByRole("region", { name: /^Frame 15 of / });
    const snapshot = panel.getByRole("img", { name: "Snapshot of frame 15" });
    await snapshot.waitFor(WAIT);
    await expect.poll(() => snapshot.evaluate((image) => (image as unknown as LoadedImage).naturalWidth), WAIT).toBe(64);
    const facts = panel.getByRole("definition");
    expect(await facts.allTextContents()).toEqual(expect.arrayContaining(["15", "red_is_outlier"]));
    await panel.getByRole("heading", { name: "red_is_outlier" }).waitFor(WAIT);

    // Filters: a source no event has lists none; clearing them lists all again.
    const filters = page.getByRole("region", { name: "Filters" });
    await filters.getByLabel("Source").fill("elsewhere");
    await filters.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No event yet.", { exact: false }).waitFor(WAIT);
    await filters.getByRole("button", { name: "Clear" }).click();
    await events
      .getByRole("button")
      .nth(PLANTED.length - 1)
      .waitFor(WAIT);
    await screenshot(page, "events-page");
  }, 120_000);

  it("shows each property's default in effect as a placeholder, not as a value", async () => {
    await loadDefinition(DETECTOR, "detector");
    await stepNode(page, "detector").getByText("Detect Outliers", { exact: true }).click();
    const warmup = page.getByLabel("warmup", { exact: true });
    await warmup.waitFor(WAIT);
    expect(await warmup.inputValue()).toBe("");
    expect(await warmup.getAttribute("placeholder")).toBe("default: 30");
    const rate = page.getByLabel("false_alarm_rate", { exact: true });
    expect(await rate.inputValue()).toBe("");
    expect(await rate.getAttribute("placeholder")).toBe("default: not set");
    await page.getByText(/Not set: 0\.001, unless minutes_per_false_alarm is given/).waitFor(WAIT);
    await warmup.fill("12");
    expect(await warmup.inputValue()).toBe("12");
    await screenshot(page, "field-defaults");
  }, 60_000);

  it("shows a stream that cannot be reached as reconnecting, not running", async () => {
    await loadDefinition(RED_FRAMES, "outliers");
    await goTo("Run");
    await page.getByRole("radio", { name: "Stream" }).check();
    await page.getByLabel("Stream URL").fill(`http://127.0.0.1:${await closedPort()}/live.mp4`);
    await page.getByRole("button", { name: "Start" }).click();
    const health = page.getByRole("status", { name: "Source health" });
    await health.getByText(/is reconnecting/).waitFor(WAIT);
    await page
      .getByRole("definition")
      .filter({ hasText: /^reconnecting$/ })
      .waitFor(WAIT);
    await screenshot(page, "run-source-reconnecting");
    await page.getByRole("button", { name: "Terminate" }).click();
    await page.getByText(/ — ended$/).waitFor(WAIT);
  }, 60_000);
});
