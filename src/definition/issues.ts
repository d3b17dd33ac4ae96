/**
 * Turns zod issues into messages that say where (path) and what, for people and for
 * `blocks_errors`: what is allowed — every alternative of a union (a selector or one of the
 * listed values) — what was given instead, and "required" for a missing property. The value given
 * is known where the schema was parsed with `{ reportInput: true }`, as the compiler does.
 */
import type { z } from "zod";

export type Issue = z.core.$ZodIssue;

export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}

export function describeIssue(issue: Issue): string {
  const expected = expectation(issue);
  if (expected === null) return fallback(issue);
  if (!("input" in issue)) return issue.code === "invalid_union" ? `expected ${expected}` : issue.message;
  if (issue.input === undefined) return `required: expected ${expected}`;
  return `expected ${expected}, got ${describeInput(issue.input)}`;
}

/** `field.path: message` lines, one per issue. */
export function formatIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    return path ? `${path}: ${describeIssue(issue)}` : describeIssue(issue);
  });
}

/**
 * What the schema wanted where the issue is, in words ("a number >= 1", `one of "a", "b"`), or
 * null when the issue says something else (a nested problem, a custom rule).
 */
function expectation(issue: Issue): string | null {
  // The selector builders' messages ("must be a selector (…)") name what they accept.
  if (issue.message.startsWith(MUST_BE)) return issue.message.slice(MUST_BE.length);
  switch (issue.code) {
    case "invalid_type":
      return TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
    case "invalid_value":
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      return issue.origin === "number" || issue.origin === "int" ? `${TYPE_NAMES[issue.origin]} ${issue.inclusive ? ">=" : ">"} ${issue.minimum}` : null;
    case "too_big":
      return issue.origin === "number" || issue.origin === "int" ? `${TYPE_NAMES[issue.origin]} ${issue.inclusive ? "<=" : "<"} ${issue.maximum}` : null;
    case "invalid_union": {
      // Every alternative failed at this very place: list what each would have taken.
      const alternatives = issue.errors.map((errors) => (errors.length === 1 && errors[0].path.length === 0 ? expectation(errors[0]) : null));
      if (alternatives.length === 0 || alternatives.some((alternative) => alternative === null)) return null;
      return [...new Set(alternatives)].join(" or ");
    }
    default:
      return null;
  }
}

const MUST_BE = "must be ";

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  record: "an object",
  null: "null",
};

/** The issue's own message; for a union whose alternatives failed deeper, the alternative that got furthest. */
function fallback(issue: Issue): string {
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // The alternative with the fewest issues is the one the value was most likely meant for.
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
    if (best.length > 0) return best.map((inner) => describeIssue(inner)).join("; ");
  }
  return issue.message;
}

/** A value as a message shows it: short literals as JSON, containers by kind. */
function describeInput(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "an object";
  // JSON would show NaN and ±Infinity as null
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
