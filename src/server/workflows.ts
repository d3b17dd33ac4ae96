/**
 * The workflow routes of upstream's inference server (docs/reference/http.md#workflow-routes):
 *
 * - `POST /workflows/run` (legacy `POST /infer/workflows`): `{specification, inputs, api_key?,
 *   excluded_fields?, enable_profiling?, debug?, workflow_id?, disable_sinks?, is_preview?,
 *   session_id?}` → `{outputs: [...]}`. A fresh engine per request, as upstream — unless
 *   `session_id` names a stateful session (see `session-store.ts`); a client that can send only
 *   `inputs` (Roboflow's Python SDK) puts it there (`sessionOf`). `disable_sinks: true` turns
 *   the run's sink blocks off (docs/reference/blocks.md#sinks). `enable_profiling`, `debug`,
 *   `workflow_id` and `is_preview` are accepted and have no effect (no profiler, no usage
 *   reporting); the answer therefore never carries `profiler_trace`.
 * - `POST /workflows/validate` (raw definition) → `{status: "ok"}` or the compile error.
 * - `GET /workflows/definition/schema` → `{schema}`.
 * - `GET|POST /workflows/blocks/describe` (POST `{dynamic_blocks_definitions?,
 *   execution_engine_version?}`) → the block catalogue; an engine version no block supports
 *   (e.g. `0.1.0`) → `blocks: []`.
 * - `POST /workflows/describe_interface` `{specification, api_key}` → inputs/outputs by kind.
 *   Upstream insists on an API key here even on an open server (400 without), and so do we.
 * - `GET /workflows/execution_engine/versions` → `{versions: ["1.15.0"]}`.
 * - `POST /{workspace}/workflows/{id}` (+ legacy and `/describe_interface` forms) → 501:
 *   sightline never fetches definitions from Roboflow's API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { BlockRegistry } from "../block-api/index.js";
import { DEFAULT_BLOCK_COMPATIBILITY } from "../block-api/describe.js";
import { EXECUTION_ENGINE_VERSION, parseVersion, satisfies } from "../definition/index.js";
import { isJsonObject } from "../definition/json.js";
import { definitionSchema, describeBlocks, type BlocksDescription } from "../describe/index.js";
import type { CompiledWorkflow } from "../compiler/index.js";
import { WorkflowDefinitionError, WorkflowError } from "../errors/index.js";
import type { WorkflowEngine } from "../executor/engine.js";
import { elementError, elementLabel } from "../executor/inputs.js";
import { validate } from "../index.js";
import { presentedApiKey } from "./auth.js";
import type { ServerContext } from "./context.js";
import { definitionFetchNotSupported, HttpError, missingApiKey, requestValidation } from "./errors.js";
import { describeWorkflowInterface } from "./interface.js";
import { withDeadline } from "./limits.js";
import { parseBody } from "./requests.js";
import { withSinksDisabled } from "../blocks/sinks/service.js";
import type { RequestImage } from "./request-images.js";

const SpecificationSchema = z.record(z.string(), z.unknown(), { error: "must be a workflow definition (a JSON object)" });

const SessionIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be 1–128 characters of letters, digits, '_', '.', ':' or '-'");

/** Where a client that sends only `inputs` puts its session id. */
const SESSION_INPUT = "session_id";

const RunRequestSchema = z.object({
  specification: SpecificationSchema,
  inputs: z.record(z.string(), z.unknown()).default({}),
  api_key: z.string().nullish(),
  excluded_fields: z.array(z.string()).nullish(),
  enable_profiling: z.boolean().nullish(),
  debug: z.boolean().nullish(),
  workflow_id: z.string().nullish(),
  disable_sinks: z.boolean().nullish(),
  is_preview: z.boolean().nullish(),
  session_id: SessionIdSchema.nullish(),
});

type RunRequest = z.output<typeof RunRequestSchema>;

const DescribeBlocksSchema = z.object({
  api_key: z.string().nullish(),
  dynamic_blocks_definitions: z.array(z.unknown()).nullish(),
  execution_engine_version: z.string().nullish(),
});

const DescribeInterfaceSchema = z.object({ specification: SpecificationSchema, api_key: z.string().nullish() });

export function registerWorkflowRoutes(app: FastifyInstance, context: ServerContext): void {
  const { engines } = context;
  let schema: unknown = null;
  let catalogue: BlocksDescription | null = null;

  const run = (request: FastifyRequest, reply: FastifyReply) => runWorkflow(context, request, reply);
  app.post("/workflows/run", run);
  app.post("/infer/workflows", run);

  app.post("/workflows/validate", async (request) => {
    engines.plan(request.body);
    return { status: "ok" };
  });

  app.get("/workflows/definition/schema", async () => {
    schema ??= definitionSchema(engines.registry);
    return { schema };
  });

  app.get("/workflows/blocks/describe", async () => {
    catalogue ??= describeBlocks(engines.registry);
    return catalogue;
  });

  app.post("/workflows/blocks/describe", async (request) => {
    const body = parseBody(DescribeBlocksSchema, request.body, "POST /workflows/blocks/describe");
    const definitions = body.dynamic_blocks_definitions ?? [];
    const version = body.execution_engine_version ?? null;
    if (definitions.length === 0 && version === null) {
      catalogue ??= describeBlocks(engines.registry);
      return catalogue;
    }
    let registry = definitions.length > 0 ? withDynamicBlocks(context, definitions) : engines.registry;
    if (version !== null) registry = blocksCompatibleWith(registry, version);
    return describeBlocks(registry);
  });

  app.post("/workflows/describe_interface", async (request) => {
    if (presentedApiKey(request) === undefined) throw missingApiKey("POST /workflows/describe_interface");
    const body = parseBody(DescribeInterfaceSchema, request.body, "POST /workflows/describe_interface");
    return describeWorkflowInterface(engines.plan(body.specification));
  });

  app.get("/workflows/execution_engine/versions", async () => ({ versions: [EXECUTION_ENGINE_VERSION] }));

  const notFetched = async (request: FastifyRequest<{ Params: { workspace: string; workflowId: string } }>) => {
    throw definitionFetchNotSupported(request.params.workspace, request.params.workflowId);
  };
  app.post("/:workspace/workflows/:workflowId", notFetched);
  app.post("/:workspace/workflows/:workflowId/describe_interface", notFetched);
  app.post("/infer/workflows/:workspace/:workflowId", notFetched);
}

async function runWorkflow(context: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<{ outputs: Record<string, unknown>[] }> {
  const route = `POST ${request.routeOptions.url ?? "/workflows/run"}`;
  const body = parseBody(RunRequestSchema, request.body, route);
  const { sessionId, inputs } = sessionOf(body, route);
  const run = (engine: WorkflowEngine, signal: AbortSignal) => {
    const images = imageInputs(engine.plan, inputs);
    context.images.checkCount(
      images.reduce((count, input) => count + input.elements.length, 0),
      images.map(describeCount).join(", "),
    );
    return context.runs.run(
      () =>
        context.memory.hold(async (reservation) => {
          const elements = images.flatMap((input) => input.elements);
          const read = await context.images.admit(elements, reservation, signal, (image, error) => elementError(image.label, error));
          const execute = () => engine.runSerialised(withImages(inputs, images, read), { signal, excludedFields: body.excluded_fields ?? [] });
          return body.disable_sinks === true ? withSinksDisabled(execute) : execute();
        }),
      signal,
    );
  };
  try {
    const outputs = await withDeadline(reply, context.limits.requestTimeoutMs, (signal) => {
      if (sessionId !== null) return context.sessions.run(sessionId, body.specification, (engine) => run(engine, signal));
      const engine = context.engines.engine(body.specification);
      const work = run(engine, signal);
      // Closed once the run has really ended (which may be after a timeout answer), without delaying the answer.
      const close = () => engine.close().catch(() => undefined);
      void work.then(close, close);
      return work;
    });
    return { outputs };
  } catch (error) {
    if (error instanceof WorkflowError && !(error instanceof HttpError) && error.httpStatus >= 500) context.metrics.countStepError(error.toBody(), "http");
    throw error;
  }
}

/** A workflow image input of a run, as given: its elements as the engine will name them. */
interface ImageInput {
  name: string;
  isList: boolean;
  elements: RequestImage[];
}

/** The run's image inputs; one left out is the engine's to report. */
function imageInputs(plan: CompiledWorkflow, inputs: Readonly<Record<string, unknown>>): ImageInput[] {
  return plan.inputs
    .filter((input) => input.role === "image" && inputs[input.name] !== undefined && inputs[input.name] !== null)
    .map(({ name }) => {
      const value = inputs[name];
      const isList = Array.isArray(value);
      const given: unknown[] = isList ? value : [value];
      return { name, isList, elements: given.map((raw, i) => ({ raw, label: elementLabel(name, i, isList) })) };
    });
}

function describeCount(input: ImageInput): string {
  return `input "${input.name}": ${input.elements.length}`;
}

/** The run's inputs with its image inputs replaced by what was read of them, in the same shape. */
function withImages(inputs: Record<string, unknown>, images: readonly ImageInput[], read: readonly unknown[]): Record<string, unknown> {
  const replaced = { ...inputs };
  let start = 0;
  for (const input of images) {
    const elements = read.slice(start, start + input.elements.length);
    replaced[input.name] = input.isList ? elements : elements[0];
    start += input.elements.length;
  }
  return replaced;
}

/**
 * The session a run names: the body's `session_id`, else `inputs.session_id` — unless the
 * workflow declares an input of that name, whose value it then is — which leaves the inputs.
 */
function sessionOf(
  body: Pick<RunRequest, "specification" | "inputs" | "session_id">,
  route: string,
): { sessionId: string | null; inputs: Record<string, unknown> } {
  if (body.session_id) return { sessionId: body.session_id, inputs: body.inputs };
  if (!(SESSION_INPUT in body.inputs) || declaresInput(body.specification, SESSION_INPUT)) return { sessionId: null, inputs: body.inputs };
  const { [SESSION_INPUT]: value, ...inputs } = body.inputs;
  const parsed = SessionIdSchema.safeParse(value);
  if (!parsed.success)
    throw requestValidation(
      route,
      parsed.error.issues.map((issue) => ({ ...issue, path: ["inputs", SESSION_INPUT] })),
    );
  return { sessionId: parsed.data, inputs };
}

function declaresInput(specification: Record<string, unknown>, name: string): boolean {
  const inputs = specification.inputs;
  return Array.isArray(inputs) && inputs.some((input) => isJsonObject(input) && input.name === name);
}

/** The registry plus a request's dynamic blocks, built and checked exactly as compiling a workflow with them would. */
function withDynamicBlocks(context: ServerContext, definitions: unknown[]): BlockRegistry {
  const { registry, dynamicBlocks } = context.engines;
  // Throws the error a workflow using these definitions would get (DynamicBlockError without a factory).
  const plan = validate(
    { version: EXECUTION_ENGINE_VERSION, inputs: [], steps: [], outputs: [], dynamic_blocks_definitions: definitions },
    { registry, dynamicBlocks },
  );
  const child = registry.child();
  // validate() only succeeds with dynamic definitions when there is a factory. The blocks built
  // here never run, so they hold no sandbox to release.
  for (const definition of plan.definition.dynamic_blocks_definitions ?? []) child.register(dynamicBlocks!(definition));
  return child;
}

/** Only the blocks whose `execution_engine_compatibility` admits `version`. */
function blocksCompatibleWith(registry: BlockRegistry, version: string): BlockRegistry {
  if (!parseVersion(version)) {
    throw new WorkflowDefinitionError(`execution_engine_version "${version}" is not a valid version (expected e.g. "1.15.0").`, {
      context: "blocks_description",
    });
  }
  return new BlockRegistry().register(...registry.list().filter((block) => satisfies(version, block.manifest.compatibility ?? DEFAULT_BLOCK_COMPATIBILITY)));
}
