/**
 * Double-precision error function, a port of W. J. Cody's rational Chebyshev approximations
 * (CALERF, netlib SPECFUN, public domain; Cody, Math. Comp. 23 (1969) 631–637). JavaScript has
 * no `Math.erf`, and upstream's identify_changes reports `1 − Φ(z)` straight from Python's
 * `math.erf`, so a short polynomial (Abramowitz–Stegun 7.1.26, error 1.5e-7) would not match it
 * to 1e-9. Cody's approximations are accurate to a few ulps over the whole real line.
 *
 * Three intervals of |x|: a rational function for erf on [0, 0.46875], and rational functions
 * for erfc on (0.46875, 4] and (4, ∞) scaled by exp(−x²). exp(−x²) is evaluated as
 * exp(−t²)·exp(−(x−t)(x+t)) with t = x rounded down to a multiple of 1/16, so the rounding error
 * of x² is not magnified by exp.
 */
/* eslint-disable no-loss-of-precision -- the coefficients as Cody published them, to all 18 digits, so they can be checked against the paper */

const ERF_SMALL_NUM = [3.1611237438705656, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
const ERF_SMALL_DEN = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];

const ERFC_MID_NUM = [
  5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2, 8.8195222124176909e2, 1.71204761263407058e3, 2.05107837782607147e3,
  1.23033935479799725e3, 2.15311535474403846e-8,
];
const ERFC_MID_DEN = [
  1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3,
  3.43936767414372164e3, 1.23033935480374942e3,
];

const ERFC_LARGE_NUM = [
  3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2,
];
const ERFC_LARGE_DEN = [2.56852019228982242, 1.87295284992346047, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];

/** 1/√π */
const INV_SQRT_PI = 0.56418958354775628695;
/** Below this, x² vanishes against 1 in the small-interval polynomial. */
const X_SMALL = 1.11e-16;
/** Above this, erfc(x) underflows to 0 in double precision. */
const X_BIG = 26.543;
const SMALL_INTERVAL_END = 0.46875;

/** erf(y) for 0 ≤ y ≤ 0.46875 (sign applied by the caller through x). */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const ysq = y > X_SMALL ? y * y : 0;
  let num = ERF_SMALL_NUM[4] * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_SMALL_NUM[i]) * ysq;
    den = (den + ERF_SMALL_DEN[i]) * ysq;
  }
  return (x * (num + ERF_SMALL_NUM[3])) / (den + ERF_SMALL_DEN[3]);
}

/** exp(−y²) without the cancellation of computing y² first. */
function expMinusSquare(y: number): number {
  const t = Math.trunc(y * 16) / 16;
  const del = (y - t) * (y + t);
  return Math.exp(-t * t) * Math.exp(-del);
}

/** erfc(y) for y > 0.46875. */
function erfcPositive(y: number): number {
  if (y <= 4) {
    let num = ERFC_MID_NUM[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_MID_NUM[i]) * y;
      den = (den + ERFC_MID_DEN[i]) * y;
    }
    return expMinusSquare(y) * ((num + ERFC_MID_NUM[7]) / (den + ERFC_MID_DEN[7]));
  }
  if (y >= X_BIG) return 0;
  const ysq = 1 / (y * y);
  let num = ERFC_LARGE_NUM[5] * ysq;
  let den = ysq;
  for (let i = 0; i < 4; i++) {
    num = (num + ERFC_LARGE_NUM[i]) * ysq;
    den = (den + ERFC_LARGE_DEN[i]) * ysq;
  }
  const ratio = (ysq * (num + ERFC_LARGE_NUM[4])) / (den + ERFC_LARGE_DEN[4]);
  return expMinusSquare(y) * ((INV_SQRT_PI - ratio) / y);
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= SMALL_INTERVAL_END) return erfSmall(x);
  const value = 0.5 - erfcPositive(y) + 0.5;
  return x < 0 ? -value : value;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= SMALL_INTERVAL_END) return 1 - erfSmall(x);
  const value = erfcPositive(y);
  return x < 0 ? 2 - value : value;
}

/**
 * Upper-tail probability of the standard normal, `1 − Φ(z)`, written exactly as upstream
 * computes its "percentile" (`1 − 0.5·(1 + erf(z/√2))`) so that rounding matches too.
 */
export function upperTailProbability(z: number): number {
  return 1 - 0.5 * (1 + erf(z / Math.SQRT2));
}
