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

/**
 * The flag outputs that are `true` in a frame's outputs, as paths: `door_is_outlier` at the top
 * level, or `outliers.is_outlier` one level down (an output holding a step's every output,
 * `$steps.outliers.*`). `names` are the flag outputs a pipeline names; default `isFlagOutput`'s.
 * A frame is flagged exactly when this is not empty.
 */
export function firedFlags(outputs: Record<string, unknown>, names?: readonly string[]): string[] {
  const flags = names === undefined ? isFlagOutput : (name: string) => names.includes(name);
  const fired: string[] = [];
  for (const [key, value] of Object.entries(outputs)) {
    if (value === true && flags(key)) fired.push(key);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) if (innerValue === true && flags(inner)) fired.push(`${key}.${inner}`);
    }
  }
  return fired;
}
