/**
 * Definition parsing: JSON text or object → a checked `WorkflowDefinition`. The `version` rule is
 * applied first, as upstream selects the engine before parsing
 * (docs/reference/workflows.md#version-rule).
 */
import { DuplicatedNameError, WorkflowDefinitionError, WorkflowSyntaxError, blockError } from "../errors/index.js";
import { describeIssue, formatIssues, formatPath } from "./issues.js";
import { WorkflowDefinitionSchema, type WorkflowDefinition } from "./schema.js";
import { selectExecutionEngine } from "./version.js";
import { isJsonObject, pathBeyondDepth, tooDeepMessage } from "./json.js";

export interface ParsedDefinition {
  definition: WorkflowDefinition;
}

/** Parses JSON text, saying where the syntax error is. */
export function parseDefinitionText(text: string, origin = "definition"): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WorkflowDefinitionError(`${origin} is not valid JSON: ${(error as Error).message}`, {
      context: "workflow_compilation | definition_parsing",
    });
  }
}

export function parseDefinition(raw: unknown): ParsedDefinition {
  if (!isJsonObject(raw)) {
    throw new WorkflowSyntaxError("Workflow definition must be a JSON object with version, inputs, steps and outputs.", {
      context: "workflow_compilation | definition_parsing",
    });
  }
  // Before anything walks it recursively (docs/reference/workflows.md#nesting-depth).
  const tooDeep = pathBeyondDepth(raw);
  if (tooDeep) throw new WorkflowDefinitionError(tooDeepMessage("The workflow definition", tooDeep), { context: "workflow_compilation | definition_parsing" });
  // the version decides before anything else, as upstream: a 2.x definition is not a syntax error
  if (typeof raw.version === "string") selectExecutionEngine(raw.version);
  const result = WorkflowDefinitionSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const lines = formatIssues(result.error.issues);
    const stepsOf = raw.steps;
    throw new WorkflowSyntaxError(`Could not parse workflow definition: ${lines.join("; ")}`, {
      context: "workflow_compilation | definition_parsing",
      inner: result.error,
      blocksErrors: result.error.issues.map((issue) => {
        const [section, index, property] = issue.path;
        const step = section === "steps" && typeof index === "number" && Array.isArray(stepsOf) && isJsonObject(stepsOf[index]) ? stepsOf[index] : null;
        return blockError(
          step ? { name: typeof step.name === "string" ? step.name : null, type: typeof step.type === "string" ? step.type : null } : null,
          step ? (typeof property === "string" ? property : null) : formatPath(issue.path),
          describeIssue(issue),
        );
      }),
    });
  }
  const definition = result.data;
  checkUniqueNames(definition);
  return { definition };
}

function checkUniqueNames(definition: WorkflowDefinition): void {
  const sections: [string, { name: string; type?: string }[]][] = [
    ["input", definition.inputs],
    ["step", definition.steps],
    ["output", definition.outputs],
  ];
  for (const [what, entries] of sections) {
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.name)) {
        throw new DuplicatedNameError(`Found duplicated ${what} name: "${entry.name}". Each ${what} needs a unique name.`, {
          context: "workflow_compilation | definition_validation",
          blocksErrors: what === "step" ? [blockError({ name: entry.name, type: entry.type ?? null })] : [],
        });
      }
      seen.add(entry.name);
    }
  }
}
