/**
 * A snapshot is checked whole before the engine restores any of it
 * (docs/reference/cli.md#state-files): a sightline snapshot, of this definition and state scope,
 * with a well-formed envelope; state only for steps that keep state, under the keys their scope
 * uses; each state fitting its block's state schema and the bounds the step's literal properties
 * set; every tagged image and date well formed. A state file is read from disk and may have been
 * edited, truncated or forged: refused here, it cannot fail later runs with a message about
 * their frames, or crash them.
 */
import type { z } from "zod";
import type { CompiledStep, CompiledWorkflow } from "../compiler/index.js";
import { describeIssue } from "../definition/index.js";
import { SNAPSHOT_ENVELOPE, SNAPSHOT_IDENTITY, SnapshotError, WHOLE_STEP, type EngineSnapshot, type StateStore } from "../state/store.js";
import { malformedTags } from "../state/values.js";

type Issue = z.core.$ZodIssue;

/** A refusal lists this many problems; the first is usually the cause of the rest. */
const SHOWN_ISSUES = 3;

/** The snapshot, if the engine may restore it into `store`; a `SnapshotError` naming every problem's place otherwise. */
export function checkSnapshot(value: unknown, plan: CompiledWorkflow, store: StateStore): EngineSnapshot {
  const identity = SNAPSHOT_IDENTITY.safeParse(value, { reportInput: true });
  if (!identity.success) throw refusal(identity.error.issues, 'Not a sightline state snapshot (expected format "sightline-state", version 1)');
  const envelope = SNAPSHOT_ENVELOPE.safeParse(value, { reportInput: true });
  if (!envelope.success) throw refusal(envelope.error.issues);
  // the value as given, not zod's copy: checking never changes what is restored
  const snapshot = value as EngineSnapshot;
  if (snapshot.definition_hash !== plan.hash) {
    throw new SnapshotError(
      `The state snapshot was taken for another workflow definition (hash ${snapshot.definition_hash}, this one is ${plan.hash}). ` +
        "Remove the state file to start fresh.",
    );
  }
  if (snapshot.scope !== store.options.scope) {
    throw new SnapshotError(`The state snapshot uses state scope "${snapshot.scope}" but the engine uses "${store.options.scope}".`);
  }
  const issues = [
    ...Object.entries(snapshot.steps).flatMap(([name, byStream]) => stepIssues(name, plan.stepsByName.get(name), byStream, store)),
    ...malformedTags(snapshot.shared, ["shared"]),
  ];
  if (issues.length > 0) throw refusal(issues);
  return snapshot;
}

function stepIssues(name: string, step: CompiledStep | undefined, byStream: Record<string, unknown>, store: StateStore): Issue[] {
  const at = ["steps", name];
  if (!step) return [problem(at, byStream, `this definition has no step "${name}"`)];
  const spec = step.block.state;
  if (!spec) return [problem(at, byStream, `step "${name}" (${step.block.manifest.type}) keeps no state`)];
  const oneForAllStreams = store.sharedByStreams(spec.scope === "step");
  const bounds = spec.bounds?.(literalProperties(step));
  return Object.entries(byStream).flatMap(([stream, state]) => {
    const where = [...at, stream];
    if (oneForAllStreams && stream !== WHOLE_STEP) return [problem(where, state, `one state for all streams is kept under "${WHOLE_STEP}", not a stream`)];
    const shape = spec.schema.safeParse(state, { reportInput: true });
    if (!shape.success) return located(shape.error.issues, where);
    const bounded = bounds?.safeParse(state, { reportInput: true });
    if (bounded && !bounded.success) return located(bounded.error.issues, where);
    return malformedTags(state, where);
  });
}

/** The step's properties written as literals: what its state's bounds may depend on. */
function literalProperties(step: CompiledStep): Record<string, unknown> {
  return Object.fromEntries(step.inputs.flatMap(([name, template]) => (template.kind === "constant" ? [[name, template.value]] : [])));
}

function problem(path: PropertyKey[], input: unknown, message: string): Issue {
  return { code: "custom", path, input, message };
}

function located(issues: readonly Issue[], at: readonly PropertyKey[]): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [...at, ...issue.path] }));
}

function refusal(issues: readonly Issue[], lead?: string): SnapshotError {
  const shown = issues.slice(0, SHOWN_ISSUES).map(describe);
  if (issues.length > SHOWN_ISSUES) shown.push(`and ${issues.length - SHOWN_ISSUES} more`);
  return new SnapshotError([lead, shown.join("; ")].filter(Boolean).join(": "));
}

/** `steps.outliers["cam-1"].samples: expected an integer ≥ 0, got -1`. */
function describe(issue: Issue): string {
  const what =
    issue.code === "unrecognized_keys"
      ? `unexpected ${issue.keys.length === 1 ? "field" : "fields"} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}`
      : describeIssue(issue);
  const where = snapshotPath(issue.path);
  return where ? `${where}: ${what}` : what;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A path in the snapshot as code would write it: names after dots, and in brackets what is data —
 * stream names, shared namespaces and their keys, and any key that is not a plain name.
 */
function snapshotPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === "number") return `[${segment}]`;
      const text = String(segment);
      if (i === 0) return text;
      return NAME.test(text) && !isDataKey(path, i) ? `.${text}` : `[${JSON.stringify(text)}]`;
    })
    .join("");
}

function isDataKey(path: readonly PropertyKey[], i: number): boolean {
  switch (path[0]) {
    case "steps":
      return i === 2;
    case "shared":
      return i === 1 || i === 2;
    case "streams":
      return i === 1;
    default:
      return false;
  }
}
