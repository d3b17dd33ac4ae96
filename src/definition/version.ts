/**
 * The definition's `version` rule (docs/reference/workflows.md#version-rule): a PEP 440 version
 * `X.Y.Z` selects an engine satisfying `>=X.Y.Z,<(X+1).0.0`. sightline implements execution engine
 * 1.15.0.
 */
import { NotSupportedExecutionEngineError, WorkflowDefinitionError } from "../errors/index.js";

export const EXECUTION_ENGINE_VERSION = "1.15.0";

// PEP 440 public version: [N!]N(.N)*[{a|b|rc}N][.postN][.devN], optional local part "+...".
const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$/i;

export interface ParsedVersion {
  release: number[];
  /** Pre-releases sort before their release; only matters at the range edges. */
  preRelease: boolean;
}

export function parseVersion(text: string): ParsedVersion | null {
  const match = PEP440.exec(text);
  if (!match) return null;
  return {
    release: match[2].split(".").map(Number),
    preRelease: match[3] !== undefined || match[8] !== undefined,
  };
}

function compareRelease(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** Throws the upstream error for a version sightline cannot run; returns the engine version otherwise. */
export function selectExecutionEngine(requested: string): string {
  const parsed = parseVersion(requested);
  if (!parsed) {
    throw new WorkflowDefinitionError(`Workflow definition declares version "${requested}", which is not a valid version (expected e.g. "1.0").`, {
      context: "workflow_compilation | engine_initialisation",
    });
  }
  const engine = parseVersion(EXECUTION_ENGINE_VERSION)!.release;
  const lower = parsed.release;
  const upper = [lower[0] + 1, 0, 0];
  const compatible = compareRelease(engine, lower) >= 0 && compareRelease(engine, upper) < 0;
  if (!compatible) {
    throw new NotSupportedExecutionEngineError(
      `There is no Execution Engine in version matching ">=${lower.join(".")},<${upper.join(".")}" ` +
        `requested by the workflow definition (version "${requested}"). Available: ${EXECUTION_ENGINE_VERSION}.`,
      { context: "workflow_compilation | engine_initialisation" },
    );
  }
  return EXECUTION_ENGINE_VERSION;
}

/** Whether `version` satisfies a comma-separated specifier like `>=1.3.0,<2.0.0`. */
export function satisfies(version: string, specifier: string): boolean {
  const parsed = parseVersion(version);
  if (!parsed) return false;
  return specifier
    .split(",")
    .map((clause) => clause.trim())
    .filter(Boolean)
    .every((clause) => {
      const match = /^(>=|<=|==|!=|>|<|~=)\s*(.+)$/.exec(clause);
      if (!match) return false;
      const bound = parseVersion(match[2]);
      if (!bound) return false;
      const c = compareRelease(parsed.release, bound.release);
      switch (match[1]) {
        case ">=":
          return c >= 0;
        case "<=":
          return c <= 0;
        case ">":
          return c > 0;
        case "<":
          return c < 0;
        case "==":
          return c === 0;
        case "!=":
          return c !== 0;
        default: {
          // ~=X.Y means >=X.Y,==X.*
          const prefix = bound.release.slice(0, -1);
          return c >= 0 && compareRelease(parsed.release.slice(0, prefix.length), prefix) === 0;
        }
      }
    });
}
