/**
 * What an operation is compiled into, and what its builder is given. A builder reads its
 * parameters once and returns a plain function `(value, globals) => result`; errors are
 * decorated with the operation and its place by the chain compiler, so builders throw the
 * plain Python exception that describes the problem.
 */
import type { Operation, OperationOf, OperationType, StatementGroup } from "../schemas.js";
import { WorkflowImage } from "../../images/index.js";
import { pyTypeError } from "../python/errors.js";
import { isDict, pythonTypeName, type PyDict } from "../python/types.js";

/**
 * Named values visible to operations besides their input: an Expression's variables, a
 * condition's evaluation parameters (upstream's `global_parameters`).
 */
export type QueryGlobals = Readonly<Record<string, unknown>>;

export type CompiledOperation = (value: unknown, globals: QueryGlobals) => unknown;

export interface OperationBuildContext {
  /** Where the operation sits, e.g. `<root>.statements[0].left_operand.operations[1]`. */
  readonly location: string;
  /** Whether a number reaching this operation is known to be a Python float (see `pythonStr`). */
  readonly inputIsFloat: boolean;
  /** Compiles a nested chain (e.g. `SequenceApply.operations`). */
  compileChain: (operations: readonly Operation[], location: string) => (value: unknown, globals?: QueryGlobals) => unknown;
  /** Compiles a nested statement group (e.g. `DetectionsFilter.filter_operation`). */
  compileCondition: ConditionCompiler;
}

export type ConditionCompiler = (group: StatementGroup, location: string) => (values: QueryGlobals) => boolean;

/**
 * Conditions hold operation chains and `DetectionsFilter` holds a condition; conditions.ts hands
 * its compiler over here when it loads, so neither module imports the other in a circle.
 */
let conditionCompiler: ConditionCompiler = () => {
  throw new Error("the query language's conditions are not loaded (import the query language from query/index.ts)");
};

export function provideConditionCompiler(compiler: ConditionCompiler): void {
  conditionCompiler = compiler;
}

export function compileNestedCondition(group: StatementGroup, location: string): (values: QueryGlobals) => boolean {
  return conditionCompiler(group, location);
}

export type OperationBuilder<T extends OperationType> = (definition: OperationOf<T>, context: OperationBuildContext) => CompiledOperation;

/** One builder per operation type of a family. */
export type OperationBuilders<T extends OperationType> = { readonly [K in T]: OperationBuilder<K> };

function expected(what: string, value: unknown): Error {
  return pyTypeError(`expected ${what}, got ${pythonTypeName(value)}`);
}

export function expectString(value: unknown): string {
  if (typeof value !== "string") throw expected("a str", value);
  return value;
}

export function expectDict(value: unknown, what = "a dict"): PyDict {
  if (!isDict(value)) throw expected(what, value);
  return value;
}

export function expectImage(value: unknown): WorkflowImage {
  if (!(value instanceof WorkflowImage)) throw expected("an image (WorkflowImageData)", value);
  return value;
}
