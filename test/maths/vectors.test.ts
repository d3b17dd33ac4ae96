import { describe, expect, it } from "vitest";
import { columnMean, columnStd, cosineSimilarity, dot, meanAndStd, norm, normalise } from "../../src/maths/vectors.js";

describe("dot, norm, normalise", () => {
  it("computes plain float64 sums", () => {
    expect(dot([1, 2, 3], [4, -5, 6])).toBe(12);
    expect(norm([3, 4])).toBe(5);
    expect(normalise([3, 4])).toEqual([0.6, 0.8]);
  });

  it("leaves the zero vector as it is, in a new array", () => {
    const zero = [0, 0, 0];
    const result = normalise(zero);
    expect(result).toEqual([0, 0, 0]);
    expect(result).not.toBe(zero);
  });

  it("keeps the direction of vectors whose squared norm under- or overflows", () => {
    expect(normalise([3e-200, 4e-200])).toEqual([0.6, 0.8]);
    expect(normalise([3e200, 4e200])).toEqual([0.6, 0.8]);
    expect(normalise([1e-320, 0])).toEqual([1, 0]);
  });
});

describe("cosineSimilarity", () => {
  it("is dot(a,b)/sqrt(dot(a,a)·dot(b,b)), unclipped", () => {
    expect(cosineSimilarity([1, 0], [0.6, 0.8])).toBe(0.6);
    expect(cosineSimilarity([0, 1], [0.8, 0.4])).toBe(0.4 / Math.sqrt(0.8000000000000002));
    expect(cosineSimilarity([1, 2, 3], [-1, -2, -3])).toBe(-1);
    expect(cosineSimilarity([2, 0], [5, 0])).toBe(1);
  });

  it("is NaN when a vector is zero (callers decide what that means)", () => {
    expect(cosineSimilarity([0, 0], [1, 2])).toBeNaN();
    expect(cosineSimilarity([1, 2], [0, 0])).toBeNaN();
  });

  it("refuses vectors of different lengths", () => {
    expect(() => cosineSimilarity([1], [1, 2])).toThrow("cannot compare embeddings of lengths 1 and 2");
  });

  it("survives magnitudes whose product of squared norms under- or overflows", () => {
    expect(cosineSimilarity([3e200, 4e200], [1, 0])).toBeCloseTo(0.6, 15);
    expect(cosineSimilarity([3e-200, 4e-200], [0, 1e-200])).toBeCloseTo(0.8, 15);
  });
});

describe("column statistics", () => {
  it("column mean and population std (ddof 0)", () => {
    const rows = [
      [0.6, 0.8],
      [0, 1],
    ];
    const mean = columnMean(rows);
    expect(mean[0]).toBeCloseTo(0.3, 15);
    expect(mean[1]).toBeCloseTo(0.9, 15);
    const std = columnStd(rows, mean);
    expect(std[0]).toBeCloseTo(0.3, 15);
    expect(std[1]).toBeCloseTo(0.1, 15);
  });

  it("meanAndStd of a list is two-pass population statistics", () => {
    const { mean, std } = meanAndStd([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(std).toBe(Math.sqrt(1.25));
    expect(meanAndStd([7]).std).toBe(0);
  });
});
