/**
 * The editor in Chromium (test/ui/chromium.ts) against a real server: auto-layout making every
 * node of the largest bundled example readable at fit-view, new nodes placed in free space,
 * undo/redo, a JavaScript block's code edited in the code editor and then run, a workflow saved on
 * the server from one browser and opened in another. Screenshots go to `test-artifacts/ui/`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createServer, type SightlineServer } from "../../src/server/index.js";
import {
  canvasSettled,
  closePage,
  ensureUiBuilt,
  freshPage,
  haveChromium,
  launchChromium,
  runOnImage,
  screenshot,
  stepNode as testStepNode,
  WAIT,
} from "./chromium.js";

/** Screen pixels a node's title line must at least be tall at fit-view: its 12 px text drawn at a zoom of 0.7 or more. */
const READABLE_TITLE_PX = 10;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const intersects = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.skipIf(!haveChromium("test/ui/editor.test.ts"))("the editor in Chromium", () => {
  let scratch: string;
  let server: SightlineServer;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let largest: { name: string; steps: number };

  beforeAll(async () => {
    ensureUiBuilt();
    scratch = mkdtempSync(join(tmpdir(), "sightline-editor-"));
    server = createServer({ uploadDir: scratch });
    base = await server.app.listen({ host: "127.0.0.1", port: 0 });
    const { examples } = (await (await fetch(`${base}/ui/examples`)).json()) as { examples: { name: string; definition: { steps: unknown[] } }[] };
    largest = examples.map((example) => ({ name: example.name, steps: example.definition.steps.length })).sort((a, b) => b.steps - a.steps)[0];
    context = await launchChromium(join(scratch, "profile"));
  });

  const shot = (name: string) => screenshot(page, name);
  const stepNode = (name: string) => testStepNode(page, name);

  beforeEach(async () => {
    page = await freshPage(context, base);
  });
  afterEach((test) => closePage(page, test));
  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  const nodeBoxes = () => page.locator(".react-flow__node").evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().toJSON() as Box));

  async function loadLargestExample(): Promise<void> {
    await page.getByLabel("Load example").selectOption(largest.name);
    await page.locator(".react-flow__node").nth(largest.steps).waitFor(WAIT);
    await canvasSettled(page);
  }

  it("lays the largest example out so that every node is readable at fit-view", async () => {
    expect(largest.steps).toBeGreaterThanOrEqual(9);
    await loadLargestExample();
    const canvas = (await page.getByRole("region", { name: "Workflow graph" }).boundingBox())!;
    const titles = await page
      .locator(".react-flow__node .node-title")
      .evaluateAll((elements) => elements.map((element) => ({ text: element.textContent, height: element.getBoundingClientRect().height })));
    expect(titles.length).toBeGreaterThan(largest.steps);
    for (const title of titles) expect(title.height, `title of ${title.text}`).toBeGreaterThanOrEqual(READABLE_TITLE_PX);
    const boxes = await nodeBoxes();
    for (const box of boxes) {
      expect(box.x).toBeGreaterThanOrEqual(canvas.x);
      expect(box.y).toBeGreaterThanOrEqual(canvas.y);
      expect(box.x + box.width).toBeLessThanOrEqual(canvas.x + canvas.width);
      expect(box.y + box.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    }
    boxes.forEach((box, index) => boxes.slice(index + 1).forEach((other) => expect(intersects(box, other)).toBe(false)));
    await shot(`editor-auto-layout-${largest.name}`);
  }, 60_000);

  it("places a new block in free space, not under the minimap", async () => {
    await loadLargestExample();
    await page.getByLabel("Search blocks").fill("cosine");
    await page.getByRole("button", { name: "Add Cosine Similarity" }).click();
    await stepNode("cosine_similarity").waitFor(WAIT);
    await canvasSettled(page);
    const added = (await page.locator('.react-flow__node[data-id="step:cosine_similarity"]').boundingBox())!;
    const minimap = (await page.locator(".react-flow__minimap").boundingBox())!;
    const canvas = (await page.getByRole("region", { name: "Workflow graph" }).boundingBox())!;
    expect(intersects(added, minimap)).toBe(false);
    expect(intersects(added, canvas)).toBe(true);
    const others = (await nodeBoxes()).filter((box) => box.x !== added.x || box.y !== added.y);
    for (const other of others) expect(intersects(added, other)).toBe(false);
    await shot("editor-new-node-free-space");
  }, 60_000);

  /** The definition as the UI keeps its draft (localStorage), read in the page. */
  const draft = async () =>
    JSON.parse(await page.evaluate<string>('localStorage.getItem("sightline.draft")')) as {
      steps: { name: string; [key: string]: unknown }[];
      outputs: { name: string; selector: string }[];
    };
  const stepOf = async (name: string) => (await draft()).steps.find((step) => step.name === name);
  const nodeBox = (name: string) => page.locator(`.react-flow__node[data-id="step:${name}"]`).boundingBox();

  it("undoes and redoes field edits, moves, removals, edge changes and additions (buttons and keys)", async () => {
    await loadLargestExample();
    const undoButton = page.getByRole("toolbar", { name: "Canvas" }).getByRole("button", { name: "Undo" });
    const redoButton = page.getByRole("toolbar", { name: "Canvas" }).getByRole("button", { name: "Redo" });
    expect(await undoButton.isDisabled()).toBe(true);

    // A field edit, undone and redone from the keyboard while the field has the focus.
    await stepNode("collect").getByText("Buffer", { exact: true }).click();
    await page.getByLabel("length", { exact: true }).fill("12");
    await expect.poll(async () => (await stepOf("collect"))?.length).toBe(12);
    await page.keyboard.press("Control+z");
    await expect.poll(async () => (await stepOf("collect"))?.length).toBe(8);
    await page.keyboard.press("Control+Shift+z");
    await expect.poll(async () => (await stepOf("collect"))?.length).toBe(12);

    // A move, with the buttons.
    const before = (await nodeBox("recall"))!;
    await page.mouse.move(before.x + 30, before.y + 8);
    await page.mouse.down();
    await page.mouse.move(before.x + 130, before.y + 48, { steps: 10 });
    await page.mouse.up();
    const moved = (await nodeBox("recall"))!;
    expect(moved.x - before.x).toBeGreaterThan(50);
    await undoButton.click();
    await expect.poll(async () => (await nodeBox("recall"))?.x).toBe(before.x);
    await redoButton.click();
    await expect.poll(async () => (await nodeBox("recall"))?.x).toBe(moved.x);

    // A removal comes back where it was, with its edges.
    await stepNode("recall").getByText("Cache Get", { exact: true }).click();
    await page.keyboard.press("Delete");
    await stepNode("recall").waitFor({ state: "detached", ...WAIT });
    expect((await stepOf("prepend"))?.cached).toBeUndefined();
    await page.keyboard.press("Control+z");
    await stepNode("recall").waitFor(WAIT);
    expect((await nodeBox("recall"))?.x).toBe(moved.x);
    expect((await stepOf("prepend"))?.cached).toBe("$steps.recall.output");

    // An edge removed, then restored.
    await page.locator('.react-flow__edge[data-id="output:grid"] .react-flow__edge-interaction').click({ force: true });
    await page.keyboard.press("Delete");
    await expect.poll(async () => (await draft()).outputs.find((output) => output.name === "grid")?.selector ?? "").toBe("");
    await page.keyboard.press("Control+z");
    await expect.poll(async () => (await draft()).outputs.find((output) => output.name === "grid")?.selector).toBe("$steps.grid.image");

    // An added block, taken back.
    await page.getByLabel("Search blocks").fill("cosine");
    await page.getByRole("button", { name: "Add Cosine Similarity" }).click();
    await stepNode("cosine_similarity").waitFor(WAIT);
    await undoButton.click();
    await stepNode("cosine_similarity").waitFor({ state: "detached", ...WAIT });
    expect((await draft()).steps.map((step) => step.name)).not.toContain("cosine_similarity");
    await shot("editor-undo-redo");
  }, 60_000);

  it("edits a JavaScript block's code in the code editor, and the edited block runs", async () => {
    const greeting = (text: string) => `function run({ image }) {\n  return { greeting: "${text}" };\n}\n`;
    const manifest = {
      type: "ManifestDescription",
      block_type: "Greeting",
      inputs: { image: { type: "DynamicInputDefinition", selector_types: ["input_image"] } },
    };
    const block = { manifest: { ...manifest, outputs: { greeting: { type: "DynamicOutputDefinition", kind: ["string"] } } } };
    const definition = {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      dynamic_blocks_definitions: [{ type: "DynamicBlockDefinition", ...block, code: { type: "JavaScriptCode", run_function_code: greeting("hello") } }],
      steps: [{ type: "Greeting", name: "greet", image: "$inputs.image" }],
      outputs: [{ type: "JsonField", name: "greeting", selector: "$steps.greet.greeting" }],
    };
    await page.getByRole("tab", { name: "JSON" }).click();
    await page.getByLabel("Definition JSON text").fill(JSON.stringify(definition));
    await stepNode("greet").waitFor(WAIT);
    await page.getByRole("tab", { name: "Properties" }).click();
    await stepNode("greet").getByText("greet", { exact: true }).click();

    const section = page.getByRole("region", { name: "Code of Greeting" });
    expect(await section.getByLabel("Block inputs").textContent()).toContain("image");
    expect(await section.getByLabel("Block outputs").textContent()).toMatch(/greeting\s*string/);
    const code = section.getByRole("textbox", { name: "JavaScript code of Greeting" });
    await code.click();
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(greeting("edited in the browser"));
    await expect.poll(async () => JSON.stringify(await draft())).toContain("edited in the browser");
    await page.locator('[role="status"][aria-label="Validation"][aria-busy="false"]').getByText("Valid", { exact: true }).waitFor(WAIT);
    await shot("editor-code-editor");

    const png = join(scratch, "still.png");
    await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 10, g: 120, b: 200 } } })
      .png()
      .toFile(png);
    const answer = (await runOnImage(page, png)).getByRole("heading", { name: "greeting" }).locator("xpath=following-sibling::pre");
    await answer.waitFor(WAIT);
    expect(JSON.parse((await answer.textContent()) ?? "null")).toBe("edited in the browser");
  }, 60_000);

  it("saves a workflow on the server from one browser and opens it in another", async () => {
    await page.getByLabel("Load example").selectOption(largest.name);
    await canvasSettled(page);
    await page.getByLabel("Workflow name").fill("shared hen house");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").filter({ hasText: 'Saved "shared_hen_house" on the server.' }).waitFor(WAIT);

    // Another browser: its own profile, so nothing in common but the server.
    const other = await launchChromium(join(scratch, "other-profile"));
    try {
      const second = await freshPage(other, base);
      const saved = second.getByLabel("Open saved workflow");
      await saved.locator("option", { hasText: "shared_hen_house" }).waitFor({ state: "attached", ...WAIT });
      await saved.selectOption("shared_hen_house");
      await testStepNode(second, "grid").waitFor(WAIT);
      expect(await second.getByLabel("Workflow name").inputValue()).toBe("shared_hen_house");
      await screenshot(second, "editor-saved-workflow-other-browser");
    } finally {
      await other.close();
    }
  }, 60_000);
});
