import { describe, expect, it } from "vitest";
import { erf, erfc, upperTailProbability } from "../../src/maths/erf.js";

/** Reference values to 20 significant digits (mpmath, 40-digit precision), as mpmath printed them. */
/* eslint-disable no-loss-of-precision -- more digits than a double holds, on purpose: the reference as computed */
const ERF_REFERENCE: [number, number][] = [
  [0.5, 0.52049987781304653768],
  [1, 0.84270079294971486934],
  [2, 0.99532226501895273416],
  [3, 0.99997790950300141456],
  [0.1, 0.1124629160182848984],
  [0.25, 0.27632639016823693299],
  [0.46875, 0.49261347321793799159],
  [1.5, 0.96610514647531072707],
  [1e-10, 1.128379167095512615e-10],
  [1e-300, 1.1283791670955125739e-300],
];

const ERFC_REFERENCE: [number, number][] = [
  [0.1, 0.8875370839817151016],
  [0.5, 0.47950012218695346232],
  [1, 0.15729920705028513066],
  [2, 0.0046777349810472658379],
  [3, 2.2090496998585441373e-5],
  [4, 1.5417257900280018852e-8],
  [5, 1.5374597944280348502e-12],
  [10, 2.088487583762544757e-45],
  [20, 5.3958656116079009289e-176],
  [-1, 1.8427007929497148693],
];

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe("erf", () => {
  it.each(ERF_REFERENCE)("erf(%s) matches the high-precision value to 1e-15 relative", (x, expected) => {
    expect(relativeError(erf(x), expected)).toBeLessThanOrEqual(1e-15);
    expect(relativeError(erf(-x), -expected)).toBeLessThanOrEqual(1e-15);
  });

  it("gives the values the brief quotes", () => {
    expect(relativeError(erf(0.5), 0.5204998778130465)).toBeLessThanOrEqual(1e-15);
    expect(relativeError(erf(1), 0.8427007929497149)).toBeLessThanOrEqual(1e-15);
    expect(relativeError(erf(2), 0.9953222650189527)).toBeLessThanOrEqual(1e-15);
    expect(relativeError(erfc(3), 2.209049699858544e-5)).toBeLessThanOrEqual(1e-15);
  });

  it("is odd, exact at 0, saturates at ±1 and passes NaN through", () => {
    expect(erf(0)).toBe(0);
    expect(erf(6)).toBe(1);
    expect(erf(-6)).toBe(-1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
    for (const x of [0.3, 0.7, 1.9, 3.3, 4.5]) expect(erf(-x)).toBe(-erf(x));
  });
});

describe("erfc", () => {
  it.each(ERFC_REFERENCE)("erfc(%s) matches the high-precision value to 1e-15 relative", (x, expected) => {
    expect(relativeError(erfc(x), expected)).toBeLessThanOrEqual(1e-15);
  });

  it("is 1 at 0, 2 at −∞, 0 beyond the underflow point", () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(30)).toBe(0);
    expect(erfc(Infinity)).toBe(0);
  });

  it("agrees with 1 − erf where no cancellation occurs", () => {
    for (const x of [-2, -0.4, 0, 0.3, 0.46875, 0.5, 1.2]) {
      expect(Math.abs(erfc(x) - (1 - erf(x)))).toBeLessThan(4e-16);
    }
  });
});

describe("upperTailProbability", () => {
  it("is 1 − Φ(z): 0.5 at 0, Φ(√2) = (1 + erf(1))/2 at −√2", () => {
    expect(upperTailProbability(0)).toBe(0.5);
    expect(relativeError(upperTailProbability(-Math.SQRT2), 0.92135039647485743467)).toBeLessThan(1e-15);
    expect(relativeError(upperTailProbability(1), 0.15865525393145705142)).toBeLessThan(1e-14);
  });
});
