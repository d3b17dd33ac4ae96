/**
 * Issue 20, finding 7: `sightline run --inputs -` fed by a live producer that never closes its
 * standard input stops on SIGTERM and SIGINT (docs/reference/cli.md#output-and-exit-codes): it
 * finishes the line in progress, saves the state and exits 143 or 130 — while standard input is
 * still open.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LiveCli, tempDir, writeTemp } from "../helpers/cli.js";

const LAST_TWO = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "value" }],
  steps: [{ type: "roboflow_core/buffer@v1", name: "last_two", data: "$inputs.value", length: 2 }],
  outputs: [{ type: "JsonField", name: "last_two", selector: "$steps.last_two.output" }],
};

const running: LiveCli[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) cli.stop();
});

describe("run --inputs - with standard input left open", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("%s: finishes the line in progress, saves the state and exits %i", async (signal, exitCode) => {
    const dir = tempDir();
    const state = join(dir, "state.json");
    // saves only at the end: what the file holds after the signal was saved on the way out
    const cli = new LiveCli(["run", writeTemp("last-two.json", LAST_TWO, dir), "--inputs", "-", "--state", state, "--state-every", "1000"]);
    running.push(cli);
    cli.write({ value: 1 });
    await cli.linesOut(1);
    cli.write({ value: 2 });
    await cli.linesOut(2);
    // a third line, and the signal at once: it is either not read yet, or run to its end
    cli.write({ value: 3 });
    cli.child.kill(signal);

    expect(await cli.exited).toEqual({ code: exitCode, signal: null });
    expect(cli.child.stdin.writableEnded).toBe(false);
    const lines = cli.lines();
    expect(lines.slice(0, 2)).toEqual([{ outputs: [{ last_two: [1] }] }, { outputs: [{ last_two: [2, 1] }] }]);
    expect(lines.length === 2 || JSON.stringify(lines[2]) === JSON.stringify({ outputs: [{ last_two: [3, 2] }] })).toBe(true);
    expect((JSON.parse(readFileSync(state, "utf8")) as { runs: number }).runs).toBe(lines.length);
    expect(cli.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });
});
