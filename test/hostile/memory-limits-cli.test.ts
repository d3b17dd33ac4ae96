/**
 * The image limits on the command line (docs/reference/workflows.md#image-limits): `run` and
 * `embed` hold image inputs to `--max-image-pixels` and `--max-aspect-ratio`, from the header,
 * with the defaults the server has.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir, writeTemp } from "../helpers/cli.js";
import { flatPng, oneBitPngBomb, WIDTH_WORKFLOW } from "./memory-helpers.js";

describe("image limits on the command line", () => {
  it("run refuses a 16383x16383 PNG at the default pixel limit, and an image beyond a lowered one", async () => {
    const dir = tempDir();
    const workflow = writeTemp("width.json", WIDTH_WORKFLOW, dir);
    const inputs = (png: Buffer, name: string) => writeTemp(name, { image: { type: "base64", value: png.toString("base64") } }, dir);

    const bomb = await runCli(["run", workflow, "--inputs", inputs(oneBitPngBomb(), "bomb.json")]);
    expect(bomb.code).toBe(1);
    expect(bomb.lines[0]).toMatchObject({ error: { error_type: "RuntimeInputError" } });
    expect(JSON.stringify(bomb.lines[0])).toMatch(
      /Input \\"image\\": image is 16383x16383 = 268402689 pixels, more than the limit of 40000000.*--max-image-pixels/,
    );

    const small = inputs(await flatPng(30, 30), "small.json");
    expect((await runCli(["run", workflow, "--inputs", small])).lines).toEqual([{ outputs: [{ width: 30 }] }]);
    const lowered = await runCli(["run", workflow, "--inputs", small, "--max-image-pixels", "899"]);
    expect(lowered.code).toBe(1);
    expect(JSON.stringify(lowered.lines[0])).toMatch(/30x30 = 900 pixels, more than the limit of 899/);
  });

  it("embed refuses an image beyond --max-aspect-ratio before loading any model", async () => {
    const path = join(tempDir(), "strip.png");
    writeFileSync(path, await flatPng(10, 40));
    const result = await runCli(["embed", "--image", path, "--max-aspect-ratio", "3", "--offline"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/image is 10x40, an aspect ratio of 4:1, more than the limit of 3:1 \(set by --max-aspect-ratio/);
  });
});
