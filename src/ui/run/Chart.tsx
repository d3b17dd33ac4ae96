/**
 * Numeric outputs over frames as an SVG line chart; flagged frames are marked. Which outputs are
 * drawn is selectable. A detector's score is drawn with its threshold (dashed) and its warm-up
 * (shaded), where no frame is flagged (docs/guides/ui.md#run).
 */
import { useState } from "react";
import { axisScale } from "./chart-scale.js";
import type { SeriesPoint, SwitchPoint } from "./run-state.js";
import { warmupSpan, type ScoreGuide } from "./workflow-outputs.js";

const WIDTH = 760;
const HEIGHT = 240;
const MARGIN = { left: 52, right: 12, top: 12, bottom: 28 };
const COLOURS = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2"];
/** The scores outlier and change detectors emit, drawn by default when present. */
const PREFERRED = ["similarity", "percentile", "score", "z_score"];

function linePath(points: readonly SeriesPoint[], sx: (frame: number) => number, sy: (value: number) => number): string {
  return points.map((point, index) => `${index === 0 ? "M" : "L"}${sx(point.frame).toFixed(1)},${sy(point.value).toFixed(1)}`).join("");
}

function defaultSelection(names: string[]): string[] {
  const preferred = names.filter((name) => PREFERRED.some((word) => name.split(".").pop()?.includes(word)));
  return (preferred.length > 0 ? preferred : names).slice(0, 3);
}

interface ChartProps {
  series: Record<string, SeriesPoint[]>;
  switches: Record<string, SwitchPoint[]>;
  /** By series name: the detector guides of the scores among them. */
  guides: Record<string, ScoreGuide>;
}

export function Chart({ series, switches, guides }: ChartProps) {
  const names = Object.keys(series).sort();
  const [chosen, setChosen] = useState<string[] | null>(null);
  const shown = (chosen ?? defaultSelection(names)).filter((name) => series[name]);
  const shownGuides = shown.flatMap((name) => (guides[name] ? [{ name, guide: guides[name] }] : []));
  const thresholds = [...new Set(shownGuides.flatMap(({ guide }) => guide.thresholds))];
  const thresholdLines = [
    ...new Set(shownGuides.flatMap(({ guide }) => (guide.thresholdSeries && series[guide.thresholdSeries] ? [guide.thresholdSeries] : []))),
  ];
  const warmups = shownGuides.flatMap(({ name, guide }) => {
    const span = warmupSpan(guide, series[name], switches);
    return span ? [{ name, ...span }] : [];
  });
  const points = [...shown, ...thresholdLines].flatMap((name) => series[name]);

  let plot = null;
  if (points.length > 0) {
    const frames = points.map((point) => point.frame);
    const values = points.map((point) => point.value);
    const first = Math.min(...frames);
    const last = Math.max(...frames);
    const y = axisScale(Math.min(...values, ...thresholds), Math.max(...values, ...thresholds));
    const x = axisScale(first, last === first ? first + 1 : last, 8);
    const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const sx = (frame: number) => MARGIN.left + ((frame - x.min) / (x.max - x.min)) * plotWidth;
    const sy = (value: number) => MARGIN.top + (1 - (value - y.min) / (y.max - y.min)) * plotHeight;
    plot = (
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="chart" role="img" aria-label={`Chart of ${shown.join(", ")} by frame`}>
        {warmups.map((span) => (
          <g key={`warmup:${span.name}`} className="chart-warmup" data-from={span.from} data-to={span.to}>
            <title>{`${span.name}: warm-up, frames ${span.from}–${span.to} (never flagged)`}</title>
            <rect x={sx(span.from)} y={MARGIN.top} width={Math.max(2, sx(span.to) - sx(span.from))} height={plotHeight} />
            <text x={sx(span.from) + 4} y={MARGIN.top + 12} className="chart-label">
              warm-up
            </text>
          </g>
        ))}
        {y.ticks.map((tick) => (
          <g key={`y${tick}`}>
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={sy(tick)} y2={sy(tick)} className="chart-grid" />
            <text x={MARGIN.left - 6} y={sy(tick)} textAnchor="end" dominantBaseline="middle" className="chart-label">
              {tick}
            </text>
          </g>
        ))}
        {x.ticks.map((tick) => (
          <text key={`x${tick}`} x={sx(tick)} y={HEIGHT - 8} textAnchor="middle" className="chart-label">
            {tick}
          </text>
        ))}
        {thresholds.map((value) => (
          <g key={`threshold:${value}`} className="chart-threshold" data-value={value}>
            <title>{`threshold ${value}: frames beyond it are flagged`}</title>
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={sy(value)} y2={sy(value)} />
            <text x={WIDTH - MARGIN.right - 4} y={sy(value) - 4} textAnchor="end" className="chart-label">
              threshold {Number(value.toPrecision(4))}
            </text>
          </g>
        ))}
        {thresholdLines.map((name) => (
          <g key={`threshold:${name}`} className="chart-threshold" data-series={name}>
            <title>{`${name}: the detector's threshold, frame by frame`}</title>
            <path d={linePath(series[name], sx, sy)} fill="none" />
          </g>
        ))}
        {shown.map((name) => {
          const colour = COLOURS[names.indexOf(name) % COLOURS.length];
          const line = series[name];
          const path = linePath(line, sx, sy);
          return (
            <g key={name}>
              <path d={path} fill="none" stroke={colour} strokeWidth={1.5} />
              {line
                .filter((point) => point.flagged)
                .map((point) => (
                  <circle key={point.frame} cx={sx(point.frame)} cy={sy(point.value)} r={3.5} className="chart-flag" />
                ))}
            </g>
          );
        })}
      </svg>
    );
  }

  return (
    <section className="panel" aria-labelledby="chart-title">
      <h2 id="chart-title">Scores over frames</h2>
      {names.length === 0 ? (
        <p className="muted">Numeric outputs (similarity, percentile, score, z-score…) are plotted here.</p>
      ) : (
        <>
          <fieldset className="chart-series">
            <legend className="visually-hidden">Series to plot</legend>
            {names.map((name) => (
              <label key={name} className="chart-series-option">
                <input
                  type="checkbox"
                  checked={shown.includes(name)}
                  onChange={(event) => setChosen(event.target.checked ? [...shown, name] : shown.filter((other) => other !== name))}
                />
                <span className="chart-swatch" style={{ background: COLOURS[names.indexOf(name) % COLOURS.length] }} />
                {name}
              </label>
            ))}
            <span className="muted chart-note">● flagged frame{shownGuides.length > 0 ? " · - - threshold · ▒ warm-up" : ""}</span>
          </fieldset>
          {plot}
        </>
      )}
    </section>
  );
}
