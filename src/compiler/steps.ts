/**
 * Step validation: find each step's block by `type`, rename property aliases and validate the
 * properties with the block's own schema. All problems of all steps are reported together.
 * Properties the block does not know are ignored, as upstream does, but named in a warning
 * (an error with `strict`) so that a typo does not go unnoticed (docs/reference/workflows.md#steps).
 */
import type { Block, BlockRegistry } from "../block-api/index.js";
import { didYouMean, formatIssues, type StepDefinition } from "../definition/index.js";
import { WorkflowSyntaxError, blockError, type BlockErrorDetails } from "../errors/index.js";
import type { CompileWarning } from "./plan.js";
import { pythonException } from "../errors/python-names.js";

export interface ValidatedStep {
  name: string;
  type: string;
  block: Block;
  properties: Record<string, unknown>;
}

export function validateSteps(
  steps: readonly StepDefinition[],
  registry: BlockRegistry,
  options: { strict?: boolean } = {},
): { steps: ValidatedStep[]; warnings: CompileWarning[] } {
  const validated: ValidatedStep[] = [];
  const warnings: CompileWarning[] = [];
  const errors: BlockErrorDetails[] = [];
  const messages: string[] = [];
  for (const step of steps) {
    const block = registry.get(step.type);
    if (!block) {
      const message = `Step "${step.name}": type "${step.type}" does not match any known block.${didYouMean(step.type, registry.types())}`;
      messages.push(message);
      errors.push(blockError(step, "type", message));
      continue;
    }
    const { type: _type, name: _name, ...raw } = step;
    for (const property of unknownProperties(raw, block)) {
      const message = `Step "${step.name}" (${block.manifest.type}): unknown property "${property}"${options.strict ? "" : " is ignored"}.${didYouMean(property, knownProperties(block))}`;
      if (!options.strict) {
        warnings.push({ step: step.name, type: step.type, property, message });
        continue;
      }
      messages.push(message);
      errors.push(blockError(step, property, message));
    }
    const properties = renameAliases(raw, block.manifest.propertyAliases);
    const result = block.manifest.properties.safeParse(properties, { reportInput: true });
    if (!result.success) {
      for (const issue of result.error.issues) {
        const [line] = formatIssues([issue]);
        messages.push(`Step "${step.name}" (${block.manifest.type}) ${line}`);
        errors.push(blockError(step, issue.path.length > 0 ? String(issue.path[0]) : null, line));
      }
      continue;
    }
    validated.push({ name: step.name, type: step.type, block, properties: result.data });
  }
  if (errors.length > 0) {
    throw new WorkflowSyntaxError(`Could not parse workflow definition. ${messages.join(" | ")}`, {
      context: "workflow_compilation | definition_parsing",
      // upstream's inner error is the ValidationError of its definition model, listing every problem
      inner: pythonException("ValidationError", messages.join("\n")),
      blocksErrors: errors,
    });
  }
  return { steps: validated, warnings };
}

function knownProperties(block: Block): string[] {
  return [...Object.keys(block.manifest.properties.shape), ...Object.keys(block.manifest.propertyAliases ?? {})];
}

/** Keys of the step (but `type` and `name`) that are neither a property of the block nor an alias of one. */
function unknownProperties(raw: Record<string, unknown>, block: Block): string[] {
  const known = knownProperties(block);
  return Object.keys(raw).filter((key) => !known.includes(key));
}

function renameAliases(raw: Record<string, unknown>, aliases: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  if (!aliases) return raw;
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const canonical = aliases[key] ?? key;
    // The canonical name wins when both are given, as pydantic's AliasChoices picks the first.
    if (canonical !== key && canonical in raw) continue;
    renamed[canonical] = value;
  }
  return renamed;
}
