/**
 * Run-time inputs (docs/reference/workflows.md#run-time-inputs): batch size, broadcasting of
 * length-1 batch inputs, kind deserialisation of batch elements, parameter defaults, and the
 * re-validation of step properties fed by parameters.
 */
import { formatIssues } from "../definition/index.js";
import { pathBeyondDepth, tooDeepMessage } from "../definition/json.js";
import { RuntimeInputError } from "../errors/index.js";
import { ImageInputError, loadImage, parseVideoMetadata, type ImageLoadOptions } from "../images/codec.js";
import type { CompiledWorkflow, InputNode } from "../compiler/index.js";

export interface AssembledInputs {
  batchSize: number;
  /** Batch inputs hold an array of `batchSize` elements; parameters hold their value. */
  values: Map<string, unknown>;
}

const INPUT_CONTEXT = "workflow_execution | runtime_input_validation";

/** The run's batch size: the length of the first batch input given as a list of more than one. */
export function batchSizeOf(plan: CompiledWorkflow, raw: Readonly<Record<string, unknown>>): number {
  for (const input of plan.inputs) {
    const value = raw[input.name];
    if (input.isBatch && Array.isArray(value) && value.length > 1) return value.length;
  }
  return 1;
}

/** A parameter's value: what the run gives, else the definition's `default_value`. */
export function parameterValue(input: InputNode, raw: Readonly<Record<string, unknown>>): unknown {
  return Object.hasOwn(raw, input.name) ? raw[input.name] : (input.definition as { default_value?: unknown }).default_value;
}

/** A batch input's elements at the batch size: a single element is repeated (docs/reference/workflows.md#batch-size-and-broadcasting). */
export function broadcast<T>(elements: readonly T[], batchSize: number): T[] {
  return elements.length === batchSize ? [...elements] : Array.from({ length: batchSize }, () => elements[0]);
}

export async function assembleInputs(plan: CompiledWorkflow, raw: Record<string, unknown>, imageOptions: ImageLoadOptions): Promise<AssembledInputs> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new RuntimeInputError("Workflow inputs must be an object mapping input names to values.", { context: INPUT_CONTEXT });
  }
  for (const input of plan.inputs) {
    const tooDeep = pathBeyondDepth(raw[input.name]);
    if (tooDeep) throw new RuntimeInputError(tooDeepMessage(`Input "${input.name}"`, tooDeep), { context: INPUT_CONTEXT });
  }
  const batchSize = batchSizeOf(plan, raw);
  const values = new Map<string, unknown>();
  const pending: Promise<void>[] = [];
  for (const input of plan.inputs) {
    if (!input.isBatch) {
      values.set(input.name, parameterValue(input, raw));
      continue;
    }
    const value = raw[input.name];
    if (value === undefined || value === null) {
      throw new RuntimeInputError(`Input "${input.name}" (${input.definition.type}) is required but was not given.`, { context: INPUT_CONTEXT });
    }
    const isList = Array.isArray(value);
    const elements: unknown[] = isList ? value : [value];
    if (elements.length !== 1 && elements.length !== batchSize) {
      throw new RuntimeInputError(
        `Expected all batch-oriented workflow inputs be the same length, or of length 1: input "${input.name}" has ${elements.length} elements, the batch has ${batchSize}.`,
        { context: INPUT_CONTEXT },
      );
    }
    pending.push(
      Promise.all(elements.map((element, i) => deserialise(input, element, elementLabel(input.name, i, isList), imageOptions))).then((decoded) => {
        values.set(input.name, broadcast(decoded, batchSize));
      }),
    );
  }
  await Promise.all(pending);
  return { batchSize, values };
}

/** How an element of a batch input is named in errors and parent ids: `image`, or `image.[3]` when the input is a list. */
export function elementLabel(name: string, index: number, isList: boolean): string {
  return isList ? `${name}.[${index}]` : name;
}

/** The error of a batch input element that cannot be read, naming it by its label. */
export function elementError(label: string, error: unknown): RuntimeInputError {
  if (error instanceof RuntimeInputError) return error;
  const reason = error instanceof ImageInputError || error instanceof Error ? error.message : String(error);
  return new RuntimeInputError(`Input "${label}": ${reason}`, { context: INPUT_CONTEXT, inner: error });
}

async function deserialise(input: InputNode, element: unknown, label: string, imageOptions: ImageLoadOptions): Promise<unknown> {
  try {
    switch (input.role) {
      case "image":
        return await loadImage(element, label, imageOptions);
      case "video_metadata":
        return parseVideoMetadata(element);
      default:
        return deserialiseByKinds(input.kinds, element);
    }
  } catch (error) {
    throw elementError(label, error);
  }
}

type KindCheck = (value: unknown) => boolean;

/** Kinds with a deserialiser; other kinds pass values through (docs/reference/workflows.md#batch-input-kinds). */
const KIND_CHECKS: Record<string, KindCheck> = {
  float_zero_to_one: (v) => typeof v === "number" && v >= 0 && v <= 1,
  float: (v) => typeof v === "number",
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  boolean: (v) => typeof v === "boolean",
  string: (v) => typeof v === "string",
  list_of_values: (v) => Array.isArray(v),
  dictionary: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
};

function deserialiseByKinds(kinds: readonly string[], element: unknown): unknown {
  const checks = kinds.map((kind) => KIND_CHECKS[kind]).filter(Boolean);
  if (kinds.includes("*") || checks.length < kinds.length || checks.length === 0) return element;
  if (checks.some((check) => check(element))) return element;
  throw new RuntimeInputError(`value ${JSON.stringify(element)?.slice(0, 80)} does not match the declared kinds [${kinds.join(", ")}]`);
}

/** Step properties that are exactly `$inputs.<parameter>` must accept the run-time value. */
export function checkParameterProperties(plan: CompiledWorkflow, values: ReadonlyMap<string, unknown>): void {
  for (const step of plan.steps) {
    for (const check of step.runtimeChecks) {
      const result = check.schema.safeParse(values.get(check.input));
      if (!result.success) {
        throw new RuntimeInputError(
          `Input "${check.input}" does not fit property "${check.property}" of step "${step.name}" (${step.block.manifest.type}): ${formatIssues(result.error.issues).join("; ")}`,
          { context: INPUT_CONTEXT, inner: result.error },
        );
      }
    }
  }
}
