/**
 * A selector fits a field when either side is the wildcard or their kind names intersect
 * (docs/reference/workflows.md#kind-compatibility). Its own module, free of Node, because the
 * editor in the browser checks wires with it.
 */
export function kindsCompatible(expected: readonly string[], actual: readonly string[]): boolean {
  if (expected.includes("*") || actual.includes("*")) return true;
  return expected.some((name) => actual.includes(name));
}
