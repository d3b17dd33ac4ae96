/** Prometheus text exposition format 0.0.4, written by hand: a few families, no client library needed. */

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Appended to the family name, e.g. `_count` of a summary. */
  suffix?: string;
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: "counter" | "gauge" | "summary";
  help: string;
  samples: Sample[];
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function formatSample(name: string, sample: Sample): string {
  const entries = Object.entries(sample.labels);
  const labels = entries.length === 0 ? "" : `{${entries.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(",")}}`;
  return `${name}${sample.suffix ?? ""}${labels} ${formatValue(sample.value)}`;
}

/** Families with no samples are still announced (HELP/TYPE), so dashboards see the metric exists. */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(formatSample(family.name, sample));
  }
  return `${lines.join("\n")}\n`;
}
