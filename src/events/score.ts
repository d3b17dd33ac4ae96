/**
 * The score of a flagged frame (docs/reference/events.md#the-score): a number the events can be
 * sorted and judged by, read from the workflow's outputs by name, so that it works for every
 * detector block and for a workflow's own score without configuration.
 */

type Container = { prefix: string; values: Record<string, unknown> };

/** By priority: a score the workflow names, then a detector's percentile. */
const SCORE_NAMES: ReadonlyArray<(name: string) => boolean> = [
  (name) => name === "score" || name.endsWith("_score"),
  (name) => name === "percentile" || name.endsWith("_percentile"),
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Where to look, in order: the objects holding a fired flag, the top level, then every object output. */
function containers(outputs: Record<string, unknown>, fired: readonly string[]): Container[] {
  const nested = (key: string): Container | null => (isRecord(outputs[key]) ? { prefix: `${key}.`, values: outputs[key] } : null);
  const top: Container = { prefix: "", values: outputs };
  const ofFlags = fired.map((flag) => (flag.includes(".") ? nested(flag.slice(0, flag.indexOf("."))) : top));
  const all = [...ofFlags, top, ...Object.keys(outputs).map(nested)].filter((container): container is Container => container !== null);
  return all.filter((container, index) => all.findIndex((other) => other.prefix === container.prefix) === index);
}

/**
 * The first finite number named `score` or `…_score` (a detector's `score` or `z_score`, a
 * workflow's `door_score`), else `percentile` or `…_percentile` (`identify_outliers`), looked for
 * next to the flags that fired first; null when there is none.
 */
export function eventScore(outputs: Record<string, unknown>, fired: readonly string[]): { score: number; output: string } | null {
  for (const { prefix, values } of containers(outputs, fired)) {
    for (const matches of SCORE_NAMES) {
      for (const [name, value] of Object.entries(values)) {
        if (matches(name) && typeof value === "number" && Number.isFinite(value)) return { score: value, output: `${prefix}${name}` };
      }
    }
  }
  return null;
}
