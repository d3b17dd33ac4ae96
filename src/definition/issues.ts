/** Turns zod issues into messages that say where (path) and what, for people and for `blocks_errors`. */
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
  if (issue.code === "invalid_union" && "errors" in issue && issue.errors.length > 0) {
    // Report the alternative that got furthest: the one with the fewest, deepest issues.
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
    if (best.length > 0) return best.map((inner) => describeIssue(inner)).join("; ");
  }
  return issue.message;
}

/** `field.path: message` lines, one per issue. */
export function formatIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    return path ? `${path}: ${describeIssue(issue)}` : describeIssue(issue);
  });
}
