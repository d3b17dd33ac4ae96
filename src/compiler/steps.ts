/**
 * Step validation: find each step's block by `type`, rename property aliases and validate the
 * properties with the block's own schema. All problems of all steps are reported together.
 */
import type { Block, BlockRegistry } from "../block-api/index.js";
import { formatIssues, type StepDefinition } from "../definition/index.js";
import { WorkflowSyntaxError, blockError, type BlockErrorDetails } from "../errors/index.js";
import { pythonException } from "../errors/python-names.js";

export interface ValidatedStep {
  name: string;
  type: string;
  block: Block;
  properties: Record<string, unknown>;
}

export function validateSteps(steps: readonly StepDefinition[], registry: BlockRegistry): ValidatedStep[] {
  const validated: ValidatedStep[] = [];
  const errors: BlockErrorDetails[] = [];
  const messages: string[] = [];
  for (const step of steps) {
    const block = registry.get(step.type);
    if (!block) {
      const message = `Step "${step.name}": type "${step.type}" does not match any known block.${suggest(step.type, registry.types())}`;
      messages.push(message);
      errors.push(blockError(step, "type", message));
      continue;
    }
    const { type: _type, name: _name, ...raw } = step;
    const properties = renameAliases(raw, block.manifest.propertyAliases);
    const result = block.manifest.properties.safeParse(properties);
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
  return validated;
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

/** " Did you mean …?" for a mistyped block type. */
function suggest(type: string, known: readonly string[]): string {
  const needle = type.toLowerCase();
  const close = known
    .map((candidate) => ({ candidate, distance: editDistance(needle, candidate.toLowerCase()) }))
    .filter(({ candidate, distance }) => distance <= Math.max(2, Math.floor(candidate.length / 5)))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ candidate }) => `"${candidate}"`);
  return close.length > 0 ? ` Did you mean ${close.join(" or ")}?` : "";
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}
