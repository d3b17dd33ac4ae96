/**
 * What the run view reads from the definition about its outputs — pure, tested without a
 * browser: which outputs can flag frames (boolean ones only), and for a charted score the
 * detector's threshold and warm-up, so the chart shows why a tall spike was not flagged.
 */
import { parseSelector } from "../../definition/selectors.js";
import { changeBounds } from "../../maths/identify-changes.js";
import { outlierBounds } from "../../maths/identify-outliers.js";
import type { BlockInfo, Catalogue } from "../editor/catalogue.js";
import type { StepDefinition, WorkflowDefinition } from "../editor/definition.js";
import type { SeriesPoint, SwitchPoint } from "./run-state.js";

/** One value a workflow output delivers: its display name (`output` or `output.inner` for `$steps.x.*`) and the step output behind it. */
export interface OutputValue {
  /** As the run view names values: `is_outlier`, or `outliers.is_outlier` one level down. */
  name: string;
  /** The name `flag_outputs` matches: the output's, or the inner one for `$steps.x.*` (src/video/flags.ts). */
  flagName: string;
  step: StepDefinition;
  block: BlockInfo;
  /** The block output read. */
  output: string;
  kinds: string[];
}

/** Every value the outputs deliver from a step the catalogue knows; inputs and unknown blocks are left out (their kinds are unknown). */
export function outputValues(definition: WorkflowDefinition, catalogue: Catalogue): OutputValue[] {
  return definition.outputs.flatMap((output): OutputValue[] => {
    const selector = parseSelector(output.selector);
    if (selector?.type !== "output") return [];
    const step = definition.steps.find((candidate) => candidate.name === selector.step);
    const block = step && catalogue.byType.get(step.type);
    if (!step || !block) return [];
    const value = (name: string, flagName: string, blockOutput: { name: string; kinds: string[] }): OutputValue => ({
      name,
      flagName,
      step,
      block,
      output: blockOutput.name,
      kinds: blockOutput.kinds,
    });
    if (selector.output === "*") return block.outputs.map((inner) => value(`${output.name}.${inner.name}`, inner.name, inner));
    const read = block.outputs.find((candidate) => candidate.name === selector.output);
    return read ? [value(output.name, output.name, read)] : [];
  });
}

/** The outputs a frame can be flagged by: those of kind `boolean`. */
export function flagCandidates(definition: WorkflowDefinition, catalogue: Catalogue): OutputValue[] {
  return outputValues(definition, catalogue).filter((value) => value.kinds.includes("boolean"));
}

/** Where a detector flags a charted score, and how long it warms up. */
export interface ScoreGuide {
  /** Constant threshold lines: a frame is flagged beyond them. */
  thresholds: number[];
  /** The series holding a threshold that moves frame by frame (the calibrated detectors' `threshold`), when it is output. */
  thresholdSeries: string | null;
  /** The series telling, frame by frame, whether the detector warms up (`warming_up`), when it is output. */
  warmingUpSeries: string | null;
  /** Else: how many of the detector's first frames are its warm-up. */
  warmupFrames: number | null;
}

/** A step's number property as it takes effect: the literal written, else the block's default; null for a selector. */
function numberProperty(step: StepDefinition, block: BlockInfo, name: string): number | null {
  const written = step[name];
  if (typeof written === "number") return written;
  if (written !== undefined && written !== null) return null;
  const fallback = block.properties.find((property) => property.name === name)?.defaultValue;
  return typeof fallback === "number" ? fallback : null;
}

/**
 * The bands each detector flags beyond (docs/reference/blocks.md), from the detectors' own maths;
 * the calibrated detectors flag when `score` exceeds their own `threshold` output.
 */
const SCORE_RULES: Record<string, { score: string; thresholds: (step: StepDefinition, block: BlockInfo) => number[] }> = {
  "roboflow_core/identify_outliers@v1": {
    score: "percentile",
    thresholds: (step, block) => {
      const p = numberProperty(step, block, "threshold_percentile");
      return p === null ? [] : outlierBounds(p);
    },
  },
  "roboflow_core/identify_changes@v1": {
    score: "percentile",
    thresholds: (step, block) => {
      const p = numberProperty(step, block, "threshold_percentile");
      return p === null ? [] : changeBounds(p);
    },
  },
  "sightline/detect_outliers@v1": { score: "score", thresholds: () => [] },
  "sightline/detect_changes@v1": { score: "score", thresholds: () => [] },
};

/** The guides of each charted score a detector step delivers, by series name. */
export function scoreGuides(definition: WorkflowDefinition, catalogue: Catalogue): Record<string, ScoreGuide> {
  const values = outputValues(definition, catalogue);
  const sibling = (of: OutputValue, output: string) =>
    values.find((value) => value.step === of.step && value.output === output && value.kinds.some((kind) => kind !== "boolean"))?.name ?? null;
  const flagSibling = (of: OutputValue, output: string) =>
    values.find((value) => value.step === of.step && value.output === output && value.kinds.includes("boolean"))?.name ?? null;
  const guides: Record<string, ScoreGuide> = {};
  for (const value of values) {
    const rule = SCORE_RULES[value.block.type];
    if (!rule || value.output !== rule.score) continue;
    guides[value.name] = {
      thresholds: rule.thresholds(value.step, value.block),
      thresholdSeries: sibling(value, "threshold"),
      warmingUpSeries: flagSibling(value, "warming_up"),
      warmupFrames: numberProperty(value.step, value.block, "warmup"),
    };
  }
  return guides;
}

/**
 * The frames a score's detector warmed up over, first to last: where its `warming_up` output was
 * true, else its first `warmupFrames` points. Null when it did not warm up in the points kept.
 */
export function warmupSpan(
  guide: ScoreGuide,
  points: readonly SeriesPoint[],
  switches: Readonly<Record<string, readonly SwitchPoint[]>>,
): { from: number; to: number } | null {
  const warming = guide.warmingUpSeries ? switches[guide.warmingUpSeries] : undefined;
  const frames = warming
    ? warming.filter((point) => point.value).map((point) => point.frame)
    : guide.warmupFrames === null
      ? []
      : points.filter((point) => point.index <= (guide.warmupFrames ?? 0)).map((point) => point.frame);
  return frames.length === 0 ? null : { from: Math.min(...frames), to: Math.max(...frames) };
}
