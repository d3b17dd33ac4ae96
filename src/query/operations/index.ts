/**
 * Compiles an operation chain once into a plain synchronous function
 * (docs/reference/workflows.md#operations): parameters are read, regexes compiled and nested chains
 * built at compile time, so a run is a loop of direct calls.
 */
import { OperationError, OperationTypeNotRecognisedError, WorkflowError } from "../../errors/index.js";
import { asOperationError, describeValue } from "../failures.js";
import { isPythonInt } from "../python/types.js";
import type { Operation, OperationOf, OperationType } from "../schemas.js";
import { CLASSIFICATION_OPERATIONS } from "./classification.js";
import { compileNestedCondition, type CompiledOperation, type OperationBuilder, type OperationBuilders, type QueryGlobals } from "./context.js";
import { DETECTION_OPERATIONS } from "./detections.js";
import { GENERIC_OPERATIONS } from "./generic.js";
import { IMAGE_OPERATIONS } from "./images.js";
import { NUMBER_OPERATIONS } from "./numbers.js";
import { SEQUENCE_OPERATIONS } from "./sequences.js";
import { SERIALISATION_OPERATIONS } from "./serialisation.js";
import { STRING_OPERATIONS } from "./strings.js";

export type { CompiledOperation, QueryGlobals } from "./context.js";

/** A compiled chain: `globals` are the named values operations may read (default: none). */
export type CompiledOperations = (value: unknown, globals?: QueryGlobals) => unknown;

const BUILDERS: OperationBuilders<OperationType> = {
  ...STRING_OPERATIONS,
  ...NUMBER_OPERATIONS,
  ...GENERIC_OPERATIONS,
  ...SEQUENCE_OPERATIONS,
  ...IMAGE_OPERATIONS,
  ...SERIALISATION_OPERATIONS,
  ...CLASSIFICATION_OPERATIONS,
  ...DETECTION_OPERATIONS,
};

export const NO_GLOBALS: QueryGlobals = Object.freeze({});

const identity: CompiledOperations = (value) => value;

/**
 * Whether the operation's numeric result is a Python float, known from the definition alone.
 * JavaScript cannot tell `5.0` from `5`; this lets `[Divide, ToString]` print `5.0` as Python does.
 */
function yieldsFloat(definition: Operation, inputIsFloat: boolean): boolean {
  switch (definition.type) {
    case "Divide":
    case "RandomNumber":
      return true;
    case "ToNumber":
      return definition.cast_to === "float";
    case "NumberRound":
      return inputIsFloat;
    case "Multiply":
      return inputIsFloat || !isPythonInt(definition.other);
    case "ExtractImageProperty":
      return definition.property_name === "aspect_ratio";
    case "ExtractFrameMetadata":
      return definition.property_name === "seconds_since_start";
    default:
      return false;
  }
}

function guarded(type: string, location: string, operation: CompiledOperation): CompiledOperation {
  const failure = (value: unknown) => (detail: string) => `Operation ${type} at ${location} got ${describeValue(value)}: ${detail}`;
  return (value, globals) => {
    try {
      return operation(value, globals);
    } catch (error) {
      throw asOperationError(error, failure(value), location);
    }
  };
}

function build<T extends OperationType>(definition: OperationOf<T>, location: string, inputIsFloat: boolean): CompiledOperation {
  if (!Object.hasOwn(BUILDERS, definition.type)) {
    throw new OperationTypeNotRecognisedError(
      `Attempted to build operation with declared type: ${String(definition.type)} which was not registered in Roboflow Query Language (at ${location}).`,
      { context: "step_execution | roboflow_query_language_compilation" },
    );
  }
  const builder = BUILDERS[definition.type] as OperationBuilder<T>;
  let operation: CompiledOperation;
  try {
    operation = builder(definition, { location, inputIsFloat, compileChain: compileOperations, compileCondition: compileNestedCondition });
  } catch (error) {
    // A parameter that cannot be used (e.g. a regex JavaScript cannot run) is the definition's fault.
    if (error instanceof WorkflowError) throw error;
    throw new OperationError(`Operation ${definition.type} at ${location} cannot be compiled: ${(error as Error).message}`, {
      context: "step_execution | roboflow_query_language_compilation",
      inner: error,
    });
  }
  return guarded(definition.type, location, operation);
}

/**
 * Compiles a parsed chain (see `OperationsChainSchema`) into `(value, globals?) => result`.
 * `location` names the chain in error messages, e.g. `data_operations.sku_list`.
 */
export function compileOperations(chain: readonly Operation[], location = "<root>"): CompiledOperations {
  const steps: CompiledOperation[] = [];
  let isFloat = false;
  chain.forEach((definition, index) => {
    steps.push(build(definition, `${location}[${index}]`, isFloat));
    isFloat = yieldsFloat(definition, isFloat);
  });
  if (steps.length === 0) return identity;
  if (steps.length === 1) {
    const [only] = steps;
    return (value, globals = NO_GLOBALS) => only(value, globals);
  }
  return (value, globals = NO_GLOBALS) => {
    let result = value;
    for (let i = 0; i < steps.length; i++) result = steps[i](result, globals);
    return result;
  };
}
