/**
 * The compiled plan: what the executor needs, decided once at compile time — where every
 * selector reads from, which steps run per batch element (SIMD) and which once (scalar), which
 * flow-control branches gate which steps, and the layer each step runs in.
 */
import type { z } from "zod";
import type { Block } from "../block-api/index.js";
import type { InputDefinition, WorkflowDefinition } from "../definition/index.js";

export type InputRole = "image" | "video_metadata" | "batch" | "parameter";

export interface InputNode {
  name: string;
  role: InputRole;
  kinds: string[];
  /** Batch-oriented inputs vary per element; parameters are one value for the whole run. */
  isBatch: boolean;
  definition: InputDefinition;
}

/**
 * Where a selector's value comes from. `nestedIn` names the dimensionality-increasing step whose
 * outputs the value is one element of (docs/architecture.md#dimensionality); null for a value
 * of the input batch, or a scalar.
 */
export type ValueSource =
  | { from: "input"; input: string; isBatch: boolean; nestedIn: null }
  | { from: "step"; step: string; output: string; isBatch: boolean; nestedIn: string | null };

/**
 * A step's inputs as a template: constants stay as parsed, selectors become references,
 * and containers holding selectors are rebuilt at run time.
 */
export type InputTemplate =
  | { kind: "constant"; value: unknown }
  | { kind: "reference"; source: ValueSource }
  | { kind: "array"; items: InputTemplate[] }
  | { kind: "object"; entries: [string, InputTemplate][] };

/** A set of next steps one flow-control step selects together (docs/reference/workflows.md#branches). */
export interface Branch {
  /** Upstream's name, e.g. `Branch[$steps.cond -> next_steps]`. */
  id: string;
  flowStep: string;
  /** `$steps.x` selectors; the branch is taken when the block returns any of them. */
  selectors: string[];
  /** Names of the steps the branch gates. */
  targets: string[];
}

export interface RuntimeInputCheck {
  property: string;
  input: string;
  /** The literal part of the property's schema (selectors removed). */
  schema: z.ZodType;
}

export interface CompiledStep {
  name: string;
  /** `type` as written in the definition (may be an alias). */
  type: string;
  block: Block;
  /** Runs once per batch element (SIMD) rather than once per run. */
  isBatch: boolean;
  /**
   * The dimensionality-increasing step (a crop) whose output elements this step runs on, one
   * level deeper than the input batch; null when it runs on the input batch, or once
   * (docs/architecture.md#dimensionality).
   */
  nestedIn: string | null;
  /** Where its outputs are: `nestedIn`, or its own name when its block increases dimensionality. */
  outputsNestedIn: string | null;
  layer: number;
  /** Top-level property → template. */
  inputs: [string, InputTemplate][];
  /** Every data source the step reads, for empty-value checks and lineage. */
  sources: ValueSource[];
  /** Branches (of other steps) that must be taken for this step to run. */
  gates: Branch[];
  /** For flow-control steps: the branches this step decides. */
  branches: Branch[];
  runtimeChecks: RuntimeInputCheck[];
  outputNames: string[];
}

export interface CompiledOutput {
  name: string;
  source: ValueSource;
  kinds: string[];
}

/**
 * Something in the definition that compiles but is probably a mistake: a step property the block
 * does not know, which upstream ignores (docs/reference/workflows.md#steps).
 */
export interface CompileWarning {
  step: string;
  /** The step's `type` as written. */
  type: string;
  property: string;
  /** Names the step, the property and the closest known property ("Did you mean …?"). */
  message: string;
}

export interface CompiledWorkflow {
  definition: WorkflowDefinition;
  inputs: InputNode[];
  inputsByName: ReadonlyMap<string, InputNode>;
  /** Steps in execution order (by layer). */
  steps: CompiledStep[];
  stepsByName: ReadonlyMap<string, CompiledStep>;
  layers: CompiledStep[][];
  outputs: CompiledOutput[];
  /** Whether any output is batch-oriented; if none, a run yields exactly one result (docs/reference/workflows.md#run-results). */
  hasBatchOutputs: boolean;
  /** Stable hash of the definition, stored in snapshots. */
  hash: string;
  /** Problems that did not stop the compilation (with `strict`, they do). */
  warnings: CompileWarning[];
}
