/**
 * The Chromium harness of the UI tests: Debian's Chromium driven by playwright-core, the UI built
 * when missing or older than its sources, screenshots under `test-artifacts/ui/` (gitignored;
 * CI keeps them as artefacts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { TestContext } from "vitest";

export const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../..");
const ARTIFACTS = join(ROOT, "test-artifacts/ui");
const UI_SOURCE = join(ROOT, "src/ui");
const UI_BUILD = join(ROOT, "dist/ui/index.html");
export const WAIT = { timeout: 60_000 };

/** Whether Chromium is installed; when not, says which test file is skipped and how to install it. */
export function haveChromium(testFile: string): boolean {
  const have = existsSync(CHROMIUM);
  if (!have) console.warn(`${testFile}: SKIPPED — no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it).`);
  return have;
}

function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }, 0);
}

/**
 * `npm test` builds the UI first; a direct `vitest run` builds it here when it is missing or older
 * than its sources. Makes the screenshots' folder too.
 */
export function ensureUiBuilt(): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (existsSync(UI_BUILD) && statSync(UI_BUILD).mtimeMs >= newest(UI_SOURCE)) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", join(UI_SOURCE, "vite.config.ts")], {
    cwd: ROOT,
    stdio: "inherit",
  });
}

/** A headless Chromium with its own profile folder (a browser context: its own localStorage). */
export function launchChromium(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 900 },
  });
}

/** A page of the UI at `base` with nothing left from an earlier test: no draft, saved definitions or key. */
export async function freshPage(context: BrowserContext, base: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(base);
  await page.evaluate("localStorage.clear(); sessionStorage.clear()");
  await page.reload();
  await page.getByRole("button", { name: "Add CLIP Embedding Model" }).waitFor(WAIT);
  return page;
}

/** The canvas once its layout and view have settled (`aria-busy` false). */
export async function canvasSettled(page: Page): Promise<void> {
  await page.locator('[role="region"][aria-label="Workflow graph"][aria-busy="false"]').waitFor(WAIT);
}

export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Closes a test's page, keeping a screenshot of it when the test failed. */
export async function closePage(page: Page | undefined, { task }: Pick<TestContext, "task">): Promise<void> {
  if (page && task.result?.state === "fail") await screenshot(page, `failed-${task.name.replace(/\W+/g, "-").slice(0, 48)}`);
  await page?.close();
}

/** A step's node on the canvas. */
export function stepNode(page: Page, name: string) {
  return page.getByRole("region", { name: `Step ${name}`, exact: true });
}

/** Runs the edited workflow on the image file at `path` from the Run view; the Result region. */
export async function runOnImage(page: Page, path: string) {
  await page.getByRole("navigation", { name: "Views" }).getByRole("button", { name: "Run" }).click();
  await page.getByRole("radio", { name: "Image" }).check();
  await page.getByLabel("Image file").setInputFiles(path);
  await page.getByRole("button", { name: "Run on image" }).click();
  return page.getByRole("region", { name: "Result" });
}
