/**
 * Which outputs flag a frame when none are named. No Node import: the web UI preselects the same
 * outputs the pipeline would use.
 */

/**
 * Whether an output flags frames when no flag outputs are named: `is_outlier` — what every
 * detector block answers — or a name ending in `_is_outlier`, as a workflow with several
 * detectors names theirs (docs/reference/cli.md#flagged-frames).
 */
export function isFlagOutput(name: string): boolean {
  return name === "is_outlier" || name.endsWith("_is_outlier");
}
