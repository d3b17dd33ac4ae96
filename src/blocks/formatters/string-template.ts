/**
 * `roboflow_core/string_template@v1`: fills `{name}` placeholders of a template with named
 * inputs, after optional operations on each — Python's `str.format` with named fields, format
 * specs and conversions, and upstream's guards: no positional fields, no attribute or index access,
 * widths and precisions up to 10,000, at most 1,000,000 characters out
 * (docs/reference/blocks.md#string-template). Failures are Python's `ValueError`s with upstream's
 * messages.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector } from "../../block-api/index.js";
import {
  compareStrings,
  decimalRunValue,
  NO_GLOBALS,
  OperationsChainSchema,
  applyOperations,
  codePointLength,
  parseFormatString,
  PythonError,
  pyValueError,
  pythonFormat,
  pythonRepr,
  pythonTypeName,
  pythonVformat,
} from "../../query/index.js";

const MAX_FORMAT_SPEC_NUMBER = 10_000;
const MAX_RENDERED_TEMPLATE_LENGTH = 1_000_000;
const ERROR_MESSAGE_PREFIX = "String Template block";

/** Python's `sorted(names)` as its `repr`, e.g. `['a', 'b']`. */
function sortedNames(names: Iterable<string>): string {
  return pythonRepr([...names].sort(compareStrings));
}

/** Every field name the template uses, format specs' fields included; refuses what upstream refuses. */
function extractPlaceholders(template: string): Set<string> {
  let parts;
  try {
    parts = parseFormatString(template);
  } catch (error) {
    throw pyValueError(
      `${ERROR_MESSAGE_PREFIX} could not parse template: ${(error as Error).message}. Use double braces to produce literal braces in the output.`,
    );
  }
  const names = new Set<string>();
  for (const { field } of parts) {
    if (field === null) continue;
    if (field.name === "" || /^\p{Nd}+$/u.test(field.name)) {
      throw pyValueError(`${ERROR_MESSAGE_PREFIX} does not support positional placeholders - use named placeholders, e.g. \`{variable_name}\`.`);
    }
    if (field.name.includes(".") || field.name.includes("[")) {
      throw pyValueError(
        `${ERROR_MESSAGE_PREFIX} does not support attribute or index access in placeholders (got \`{${field.name}}\`). Use data operations to extract nested values before templating.`,
      );
    }
    names.add(field.name);
    // A format spec may hold fields of its own (`{value:{width}}`), checked the same way.
    if (field.spec.includes("{")) for (const name of extractPlaceholders(field.spec)) names.add(name);
  }
  return names;
}

/** `format(value, spec)`, refusing widths and precisions that would allocate without bound. */
function formatFieldWithinLimits(value: unknown, spec: string): string {
  for (const run of spec.match(/\p{Nd}+/gu) ?? []) {
    if (decimalRunValue(run) > MAX_FORMAT_SPEC_NUMBER) {
      throw pyValueError(
        `${ERROR_MESSAGE_PREFIX} encountered format spec \`${spec}\` with numeric value ${run} exceeding the maximum allowed width or precision of ${MAX_FORMAT_SPEC_NUMBER}.`,
      );
    }
  }
  return pythonFormat(value, spec);
}

/** Upstream's `render_template`. */
export function renderTemplate(template: string, variables: Readonly<Record<string, unknown>>): string {
  const missing = [...extractPlaceholders(template)].filter((name) => !Object.hasOwn(variables, name));
  if (missing.length > 0) {
    throw pyValueError(
      `${ERROR_MESSAGE_PREFIX} template references variables ${sortedNames(missing)} which are not declared in data. Declared variables: ${sortedNames(Object.keys(variables))}.`,
    );
  }
  let rendered: string;
  try {
    rendered = pythonVformat(template, variables, formatFieldWithinLimits);
  } catch (error) {
    const typeOrValueError = error instanceof PythonError && (error.pythonName === "ValueError" || error.pythonName === "TypeError");
    if (!typeOrValueError || error.message.startsWith(ERROR_MESSAGE_PREFIX)) throw error;
    throw pyValueError(
      `${ERROR_MESSAGE_PREFIX} could not render template: ${error.message}. Check that format specs match the types of the substituted values.`,
    );
  }
  const length = codePointLength(rendered);
  if (length > MAX_RENDERED_TEMPLATE_LENGTH) {
    throw pyValueError(
      `${ERROR_MESSAGE_PREFIX} rendered a template of ${length} characters, which exceeds the maximum allowed rendered length of ${MAX_RENDERED_TEMPLATE_LENGTH} characters. Reduce the size of the substituted values or the number of placeholders.`,
    );
  }
  return rendered;
}

export const stringTemplateBlock = defineBlock({
  manifest: {
    type: "roboflow_core/string_template@v1",
    name: "String Template",
    family: "formatters",
    description: "Builds a string from a template with {name} placeholders filled from named inputs.",
    properties: z
      .object({
        template: literalOrSelector(z.string(), ["string"]).describe("Template with {name} placeholders"),
        data: z
          .record(z.string(), literalOrSelector(z.union([z.string(), z.number(), z.boolean()]), ["*"]))
          .default({})
          .describe("Values for the placeholders"),
        data_operations: z.record(z.string(), OperationsChainSchema).default({}).describe("Operations applied to named values first"),
      })
      .superRefine((manifest, ctx) => {
        // Upstream finds this when the step runs; it is wrong whatever the inputs, so we say so when compiling.
        for (const name of Object.keys(manifest.data_operations)) {
          if (!Object.hasOwn(manifest.data, name)) {
            ctx.addIssue({
              code: "custom",
              path: ["data_operations", name],
              message: `${ERROR_MESSAGE_PREFIX} defines operations for variable \`${name}\` which is not declared in data. Declared variables: ${sortedNames(Object.keys(manifest.data))}.`,
            });
          }
        }
      }),
    outputs: [{ name: "output", kinds: ["string"] }],
  },
  run({ template, data, data_operations }) {
    // A selector may deliver anything, whatever kind it promises.
    const given: unknown = template;
    if (typeof given !== "string") {
      throw pyValueError(`${ERROR_MESSAGE_PREFIX} expected template to be a string, got value of type ${pythonTypeName(given)}.`);
    }
    const variables: Record<string, unknown> = { ...data };
    for (const [name, operations] of Object.entries(data_operations)) variables[name] = applyOperations(variables[name], operations, NO_GLOBALS);
    return { output: renderTemplate(given, variables) };
  },
});
