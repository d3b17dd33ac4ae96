/** `sightline blocks` and `sightline schema`: generated from the blocks' zod schemas. */
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("sightline blocks", () => {
  it("lists blocks by family, with aliases and outputs", async () => {
    const result = await runCli(["blocks"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/roboflow_core\/expression@v1 {2}\(aliases: Expression\)/);
    expect(result.stdout).toContain("flow_control");
  });

  it("--json describes each block with a JSON Schema whose selectors carry kinds", async () => {
    const result = await runCli(["blocks", "--json"]);
    const description = result.lines[0] as {
      blocks: {
        manifest_type_identifier: string;
        block_schema: { properties: Record<string, Record<string, unknown>>; required: string[] };
        outputs_manifest: { name: string }[];
      }[];
      declared_kinds: { name: string }[];
      kinds_connections: Record<string, { manifest_type_identifier: string; property_name: string }[]>;
      universal_query_language_description: { operations_description: unknown[] };
    };
    const expression = description.blocks.find((b) => b.manifest_type_identifier === "roboflow_core/expression@v1")!;
    expect(expression.block_schema.required).toEqual(expect.arrayContaining(["type", "name", "data", "switch"]));
    expect(expression.block_schema.properties.type).toEqual({ type: "string", enum: ["roboflow_core/expression@v1", "Expression"] });
    const data = expression.block_schema.properties.data as { additionalProperties: Record<string, unknown> };
    expect(data.additionalProperties).toMatchObject({ reference: true, selected_element: "any_data" });
    expect(expression.outputs_manifest.map((o) => o.name)).toEqual(["output"]);
    expect(description.declared_kinds.map((k) => k.name)).toContain("embedding");
    expect(description.kinds_connections["*"].some((c) => c.manifest_type_identifier === "roboflow_core/expression@v1" && c.property_name === "data")).toBe(
      true,
    );
    expect(description.universal_query_language_description.operations_description.length).toBeGreaterThan(20);
  });
});

describe("sightline schema", () => {
  it("prints the JSON Schema of a definition with every block", async () => {
    const result = await runCli(["schema"]);
    const schema = result.lines[0] as { required: string[]; $defs: Record<string, unknown>; properties: { steps: { items: { anyOf: { $ref: string }[] } } } };
    expect(schema.required).toEqual(["version", "inputs", "steps", "outputs"]);
    const refs = schema.properties.steps.items.anyOf.map((entry) => entry.$ref);
    expect(refs).toContain("#/$defs/roboflow_core_switch_case_v1");
    for (const ref of refs) expect(schema.$defs[ref.replace("#/$defs/", "")]).toBeDefined();
  });
});
