/**
 * `roboflow_core/expression@v1` (alias `Expression`): named inputs, optional operations on each,
 * then the first case whose condition holds gives the output (docs/reference/blocks.md#expression).
 */
import { z } from "zod";
import { defineBlock, selector } from "../../block-api/index.js";
import { NO_GLOBALS, OperationsChainSchema, StatementGroupSchema, applyOperations, evaluateCondition, pyKeyError, pythonRepr } from "../../query/index.js";

const StaticCaseResult = z.object({ type: z.literal("StaticCaseResult"), value: z.unknown() });
const DynamicCaseResult = z.object({
  type: z.literal("DynamicCaseResult"),
  parameter_name: z.string(),
  operations: OperationsChainSchema.nullable().optional(),
});
const CaseResult = z.discriminatedUnion("type", [StaticCaseResult, DynamicCaseResult]);
const CaseDefinition = z.object({ type: z.literal("CaseDefinition"), condition: StatementGroupSchema, result: CaseResult });
const CasesDefinition = z.object({ type: z.literal("CasesDefinition"), cases: z.array(CaseDefinition), default: CaseResult });

type Result = z.output<typeof CaseResult>;

function resolveResult(result: Result, vars: Record<string, unknown>): unknown {
  if (result.type === "StaticCaseResult") return result.value;
  if (!Object.hasOwn(vars, result.parameter_name)) {
    // Upstream's `variables[parameter_name]`: a KeyError naming the key (we add what there is).
    throw pyKeyError(`${pythonRepr(result.parameter_name)} (DynamicCaseResult.parameter_name is not a key of data: ${pythonRepr(Object.keys(vars))})`);
  }
  const value = vars[result.parameter_name];
  return result.operations && result.operations.length > 0 ? applyOperations(value, result.operations, vars) : value;
}

export const expressionBlock = defineBlock({
  manifest: {
    type: "roboflow_core/expression@v1",
    aliases: ["Expression"],
    name: "Expression",
    family: "formatters",
    description: "Evaluates conditions on named inputs and outputs the result of the first case that holds.",
    properties: z
      .object({
        data: z.record(z.string(), selector()).describe("Named inputs (selectors only)"),
        data_operations: z.record(z.string(), OperationsChainSchema).default({}).describe("Operations applied to named inputs before the cases"),
        switch: CasesDefinition,
      })
      .superRefine((manifest, ctx) => {
        for (const name of Object.keys(manifest.data_operations)) {
          if (!Object.hasOwn(manifest.data, name)) {
            ctx.addIssue({ code: "custom", path: ["data_operations", name], message: `"${name}" is not a key of data` });
          }
        }
      }),
    outputs: [{ name: "output", kinds: ["*"] }],
  },
  run({ data, data_operations, switch: cases }) {
    const vars: Record<string, unknown> = { ...data };
    for (const [name, operations] of Object.entries(data_operations)) vars[name] = applyOperations(vars[name], operations, NO_GLOBALS);
    for (const candidate of cases.cases) {
      if (evaluateCondition(candidate.condition, vars)) return { output: resolveResult(candidate.result, vars) };
    }
    return { output: resolveResult(cases.default, vars) };
  },
});
