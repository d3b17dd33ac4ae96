/**
 * `roboflow_core/string_template@v1`: fills `{name}` placeholders of a template with named
 * inputs, after optional operations on each (Python `str.format` with named fields).
 */
import { z } from "zod";
import { defineBlock, literalOrSelector } from "../../block-api/index.js";
import { OperationsChainSchema, applyOperations, pythonStr } from "../../query/index.js";

/** `{{` and `}}` are literal braces; `{name}` is a field; anything else in braces is an error, as in Python. */
const FIELD = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

export function formatTemplate(template: string, values: Readonly<Record<string, unknown>>): string {
  return template.replace(FIELD, (match, field: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    if (field === undefined) throw new Error(`single '${match}' encountered in template; write '${match}${match}' for a literal brace`);
    const name = field.trim();
    if (!Object.hasOwn(values, name)) {
      throw new Error(`template refers to {${name}}, which is not in data (${Object.keys(values).join(", ") || "no data"})`);
    }
    return pythonStr(values[name]);
  });
}

export const stringTemplateBlock = defineBlock({
  manifest: {
    type: "roboflow_core/string_template@v1",
    name: "String Template",
    family: "formatters",
    description: "Builds a string from a template with {name} placeholders filled from named inputs.",
    properties: z.object({
      template: literalOrSelector(z.string(), ["string"]).describe("Template with {name} placeholders"),
      data: z.record(z.string(), literalOrSelector(z.union([z.string(), z.number(), z.boolean()]), ["*"])).describe("Values for the placeholders"),
      data_operations: z.record(z.string(), OperationsChainSchema).default({}).describe("Operations applied to named values first"),
    }),
    outputs: [{ name: "output", kinds: ["string"] }],
  },
  run({ template, data, data_operations }) {
    const values: Record<string, unknown> = { ...data };
    for (const [name, operations] of Object.entries(data_operations)) {
      if (Object.hasOwn(values, name)) values[name] = applyOperations(values[name], operations, values);
    }
    return { output: formatTemplate(template, values) };
  },
});
