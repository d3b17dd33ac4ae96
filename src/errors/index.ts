/**
 * One error hierarchy whose `errorType` names are upstream's `error_type`s, so that clients
 * written against Roboflow's server read our error bodies unchanged
 * (docs/reference/errors.md#the-error-body).
 *
 * Every error says where: the step and property (`blocksErrors`), the source and frame, or the
 * input line — whatever applies — in `context` and `details`.
 */
import { pythonErrorName } from "./python-names.js";

/** One entry of `blocks_errors`: which step / property a compile-time problem is about. */
export interface BlockErrorDetails {
  block_id: string | null;
  block_type: string | null;
  block_details: string | null;
  property_name: string | null;
  property_details: string | null;
}

/** The JSON body of an error, as upstream's HTTP server returns it. */
export interface WorkflowErrorBody {
  message: string;
  error_type: string;
  context: string | null;
  inner_error_type: string | null;
  inner_error_message: string | null;
  blocks_errors?: BlockErrorDetails[];
}

export interface WorkflowErrorOptions {
  context?: string;
  inner?: unknown;
  blocksErrors?: BlockErrorDetails[];
}

export class WorkflowError extends Error {
  /** Upstream's name for this error; what clients switch on. */
  readonly errorType: string = "WorkflowError";
  /** HTTP status upstream answers with. */
  readonly httpStatus: number = 500;
  /** Upstream puts `blocks_errors` only into some bodies; mirror that. */
  protected readonly carriesBlocksErrors: boolean = false;
  /** Where it happened (upstream's `context`); the executor fills it in when a block left it empty. */
  context: string | null;
  readonly inner: unknown;
  readonly blocksErrors: BlockErrorDetails[];

  constructor(message: string, options: WorkflowErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.context = options.context ?? null;
    this.inner = options.inner;
    this.blocksErrors = options.blocksErrors ?? [];
  }

  toBody(): WorkflowErrorBody {
    const inner = describeInner(this.inner);
    const body: WorkflowErrorBody = {
      message: this.message,
      error_type: this.errorType,
      context: this.context,
      inner_error_type: inner?.type ?? null,
      inner_error_message: inner?.message ?? null,
    };
    if (this.carriesBlocksErrors) body.blocks_errors = this.blocksErrors;
    return body;
  }
}

function describeInner(inner: unknown): { type: string; message: string } | null {
  if (inner === undefined || inner === null) return null;
  if (inner instanceof WorkflowError) return { type: inner.errorType, message: inner.message };
  if (inner instanceof Error) return { type: pythonErrorName(inner), message: inner.message };
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error, shown as JavaScript shows it
  return { type: typeof inner, message: String(inner) };
}

// ---- compile-time errors -------------------------------------------------------------------

/** 400 with `blocks_errors`. */
abstract class CompilationErrorWithBlocks extends WorkflowError {
  override readonly httpStatus = 400;
  protected override readonly carriesBlocksErrors = true;
}

export class WorkflowSyntaxError extends CompilationErrorWithBlocks {
  override readonly errorType = "WorkflowSyntaxError";
}
export class InvalidReferenceTargetError extends CompilationErrorWithBlocks {
  override readonly errorType = "InvalidReferenceTargetError";
}
export class ExecutionGraphStructureError extends CompilationErrorWithBlocks {
  override readonly errorType = "ExecutionGraphStructureError";
}
export class StepInputDimensionalityError extends CompilationErrorWithBlocks {
  override readonly errorType = "StepInputDimensionalityError";
}
export class DynamicBlockCodeError extends CompilationErrorWithBlocks {
  override readonly errorType = "DynamicBlockCodeError";
}

/** 400 without `blocks_errors`. */
abstract class ClientError extends WorkflowError {
  override readonly httpStatus = 400;
}

export class WorkflowDefinitionError extends ClientError {
  override readonly errorType = "WorkflowDefinitionError";
}
/** Upstream answers 500 for this one; a duplicated name is the client's mistake, so we say 400. */
export class DuplicatedNameError extends ClientError {
  override readonly errorType = "DuplicatedNameError";
  protected override readonly carriesBlocksErrors = true;
}
export class ReferenceTypeError extends ClientError {
  override readonly errorType = "ReferenceTypeError";
  protected override readonly carriesBlocksErrors = true;
}
export class RuntimeInputError extends ClientError {
  override readonly errorType = "RuntimeInputError";
}
export class DynamicBlockError extends ClientError {
  override readonly errorType = "DynamicBlockError";
}
export class NotSupportedExecutionEngineError extends ClientError {
  override readonly errorType = "NotSupportedExecutionEngineError";
}

// ---- query-language errors (raised inside blocks, propagate un-wrapped) ---------------------

export class InvalidInputTypeError extends ClientError {
  override readonly errorType = "InvalidInputTypeError";
}
export class OperationTypeNotRecognisedError extends ClientError {
  override readonly errorType = "OperationTypeNotRecognisedError";
}
export class OperationError extends WorkflowError {
  override readonly errorType = "OperationError";
}
export class UndeclaredSymbolError extends WorkflowError {
  override readonly errorType = "UndeclaredSymbolError";
}
export class EvaluationEngineError extends WorkflowError {
  override readonly errorType = "EvaluationEngineError";
}

// ---- run-time errors -----------------------------------------------------------------------

/** Any non-workflow exception thrown by a block, wrapped with the step that threw it. */
export class StepExecutionError extends WorkflowError {
  override readonly errorType = "StepExecutionError";
  protected override readonly carriesBlocksErrors = true;
  readonly blockId: string;
  readonly blockType: string;

  constructor(message: string, options: WorkflowErrorOptions & { blockId: string; blockType: string }) {
    super(message, {
      ...options,
      blocksErrors: options.blocksErrors ?? [
        {
          block_id: options.blockId,
          block_type: options.blockType,
          block_details: null,
          property_name: null,
          property_details: null,
        },
      ],
    });
    this.blockId = options.blockId;
    this.blockType = options.blockType;
  }
}

export class ExecutionEngineRuntimeError extends WorkflowError {
  override readonly errorType = "ExecutionEngineRuntimeError";
}

/** Convenience for building one `blocks_errors` entry. */
export function blockError(step: { name?: string | null; type?: string | null } | null, property?: string | null, details?: string | null): BlockErrorDetails {
  return {
    block_id: step?.name ?? null,
    block_type: step?.type ?? null,
    block_details: null,
    property_name: property ?? null,
    property_details: details ?? null,
  };
}

/** Turns anything thrown into an error body; unknown exceptions become a generic 500. */
export function toErrorBody(error: unknown): WorkflowErrorBody {
  if (error instanceof WorkflowError) return error.toBody();
  const message = error instanceof Error ? error.message : String(error);
  return new WorkflowError(`Unexpected error: ${message}`, { inner: error }).toBody();
}

export function httpStatusOf(error: unknown): number {
  return error instanceof WorkflowError ? error.httpStatus : 500;
}

/** What a value is, for messages that say what was received instead: "null", "a list" or its type. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value;
}
