import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError, WorkflowError } from "../../src/errors/index.js";
import { compileOperations, parseOperations, pythonFloatRepr, pythonRound } from "../../src/query/index.js";

const toString = compileOperations(parseOperations([{ type: "ToString" }]));
const toBoolean = compileOperations(parseOperations([{ type: "ToBoolean" }]));
const sequenceLength = compileOperations(parseOperations([{ type: "SequenceLength" }]));
const joinThenCount = compileOperations(parseOperations([{ type: "SequenceJoin" }, { type: "SequenceLength" }]));

/** Runs `action`; any failure must be one of the workflow errors clients understand. */
function outcome(action: () => unknown): { value: unknown } | { error: WorkflowError } {
  try {
    return { value: action() };
  } catch (error) {
    if (error instanceof WorkflowError) return { error };
    throw error;
  }
}

describe("properties over arbitrary JSON values", () => {
  it("ToString always yields a string", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(typeof toString(value)).toBe("string");
      }),
    );
  });

  it("ToBoolean always yields a boolean", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(typeof toBoolean(value)).toBe("boolean");
      }),
    );
  });

  it("SequenceLength yields a length, or an InvalidInputTypeError for values without one", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = outcome(() => sequenceLength(value));
        if ("error" in result) {
          expect(result.error).toBeInstanceOf(InvalidInputTypeError);
          expect(typeof value === "number" || typeof value === "boolean" || value === null).toBe(true);
        } else expect(Number.isInteger(result.value)).toBe(true);
      }),
    );
  });

  it("chained operations fail only with workflow errors", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        outcome(() => joinThenCount(value));
      }),
    );
  });
});

describe("properties of the number formatting", () => {
  it("repr(float) reads back as the same float", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(Object.is(Number(pythonFloatRepr(value)), value)).toBe(true);
      }),
    );
  });

  it("round() lands within half a unit of the last digit", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 6 }), (value, digits) => {
        const rounded = pythonRound(value, digits);
        expect(Math.abs(rounded - value)).toBeLessThanOrEqual(0.5 * 10 ** -digits * (1 + 1e-9));
      }),
    );
  });
});
