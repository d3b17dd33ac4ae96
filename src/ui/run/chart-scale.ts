/** Axis ranges with round tick values ("nice numbers", Heckbert 1990) for the run view's chart. */

export interface AxisScale {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** The round number (1, 2, 5 × 10ⁿ) closest to `value` (`round`) or the smallest not below it. */
export function niceNumber(value: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(value));
  // Multiplying by 10^-n is exact where dividing by 10^n is not (0.7 / 0.1 = 6.999…).
  const fraction = value * 10 ** -exponent;
  let nice: number;
  if (round) nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  else nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** Decimals needed to print multiples of `step` exactly. */
function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step)));
}

/**
 * A range covering [low, high] with about `count` ticks at round values. A single value gets a
 * range around it (±1 for 0, else ±10 %).
 */
export function axisScale(low: number, high: number, count = 5): AxisScale {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return axisScale(0, 1, count);
  if (low > high) return axisScale(high, low, count);
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    return axisScale(low - pad, high + pad, count);
  }
  const step = niceNumber(niceNumber(high - low, false) / Math.max(1, count - 1), true);
  const decimals = decimalsOf(step);
  const fix = (value: number) => Number(value.toFixed(decimals));
  const min = fix(Math.floor(low / step) * step);
  const max = fix(Math.ceil(high / step) * step);
  const ticks: number[] = [];
  for (let index = 0; min + index * step <= max + step / 2; index++) ticks.push(fix(min + index * step));
  return { min, max, step, ticks };
}
