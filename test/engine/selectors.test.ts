/**
 * The selector grammar (`src/definition/selectors.ts`): reading a selector and writing it back
 * agree, and so do the patterns that zod schemas validate with.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DATA_SELECTOR,
  INPUT_SELECTOR,
  NAME_PATTERN,
  STEP_SELECTOR,
  formatSelector,
  isSelector,
  parseSelector,
  type Selector,
} from "../../src/definition/selectors.js";

const name = fc.stringMatching(/^[A-Za-z_0-9-]{1,8}$/);
const selector: fc.Arbitrary<Selector> = fc.oneof(
  name.map((input) => ({ type: "input" as const, input })),
  fc.tuple(name, fc.oneof(name, fc.constant("*"))).map(([step, output]) => ({ type: "output" as const, step, output })),
  name.map((step) => ({ type: "step" as const, step })),
);

describe("the selector grammar", () => {
  it("reads back what it writes, and its patterns accept exactly the matching kind of selector", () => {
    fc.assert(
      fc.property(selector, (parts) => {
        const text = formatSelector(parts);
        expect(parseSelector(text)).toEqual(parts);
        expect(isSelector(text)).toBe(true);
        expect(INPUT_SELECTOR.test(text)).toBe(parts.type === "input");
        expect(STEP_SELECTOR.test(text)).toBe(parts.type === "step");
        expect(DATA_SELECTOR.test(text)).toBe(parts.type !== "step");
      }),
    );
  });

  it("reads nothing else as a selector, though anything starting with $ is one to the engine", () => {
    for (const text of ["$inputs", "$inputs.", "$inputs.a.b", "$steps.a.b.c", "$steps.a b", "$other.a", "inputs.a", "$"]) {
      expect(parseSelector(text)).toBeNull();
      expect(DATA_SELECTOR.test(text) || STEP_SELECTOR.test(text)).toBe(false);
    }
    expect(isSelector("$other.a")).toBe(true);
    expect(isSelector("inputs.a")).toBe(false);
    expect(parseSelector(42)).toBeNull();
  });

  it("names steps with letters, digits, _ and -", () => {
    expect(NAME_PATTERN.test("step_1-a")).toBe(true);
    expect(NAME_PATTERN.test("step.1")).toBe(false);
    expect(NAME_PATTERN.test("")).toBe(false);
  });
});
