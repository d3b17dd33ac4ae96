/**
 * expression, property_definition, string_template, first_non_empty_or_default, continue_if and
 * switch_case, run inside real workflows.
 */
import { describe, expect, it } from "vitest";
import { compile, WorkflowImage, type CompileOptions } from "../../src/index.js";
import { renderTemplate } from "../../src/blocks/formatters/string-template.js";
import { output, workflow } from "../helpers/test-blocks.js";
import { rejectionOf } from "../helpers/errors.js";
import { statement } from "../helpers/workflows.js";

const param = (name: string, extra: Record<string, unknown> = {}) => ({ type: "WorkflowParameter", name, ...extra });

async function runOnce(definition: unknown, inputs: Record<string, unknown>, options: CompileOptions = {}) {
  return (await compile(definition, options).run(inputs))[0];
}

describe("roboflow_core/expression@v1", () => {
  const classify = workflow({
    inputs: [param("similarity")],
    steps: [
      {
        type: "roboflow_core/expression@v1",
        name: "verdict",
        data: { s: "$inputs.similarity" },
        data_operations: { s: [{ type: "NumberRound", decimal_digits: 2 }] },
        switch: {
          type: "CasesDefinition",
          cases: [
            { type: "CaseDefinition", condition: statement("s", "(Number) >=", 0.3), result: { type: "StaticCaseResult", value: "NSFW" } },
            {
              type: "CaseDefinition",
              condition: statement("s", "(Number) >=", 0.2),
              result: { type: "DynamicCaseResult", parameter_name: "s", operations: [{ type: "ToString" }] },
            },
          ],
          default: { type: "StaticCaseResult", value: "SAFE" },
        },
      },
    ],
    outputs: [output("verdict", "$steps.verdict.output")],
  });

  it("takes the first case that holds, after data operations", async () => {
    expect(await runOnce(classify, { similarity: 0.31 })).toEqual({ verdict: "NSFW" });
    expect(await runOnce(classify, { similarity: 0.295 })).toEqual({ verdict: "0.29" }); // round(0.295, 2) == 0.29 in Python
    expect(await runOnce(classify, { similarity: 0.1 })).toEqual({ verdict: "SAFE" });
  });

  it("rejects data_operations on a name that is not in data at compile time", () => {
    const definition = structuredClone(classify) as { steps: Record<string, unknown>[] };
    definition.steps[0].data_operations = { t: [{ type: "ToString" }] };
    expect(() => compile(definition)).toThrow(/"t" is not a key of data/);
  });

  it("reports a comparator type mismatch as InvalidInputTypeError (un-wrapped, as upstream)", async () => {
    const error = await rejectionOf(compile(classify).run({ similarity: "high" }));
    expect(error.errorType).toBe("InvalidInputTypeError");
  });

  it("uses `(Boolean) is True` as identity: 1 is not True", async () => {
    const definition = workflow({
      inputs: [param("flag")],
      steps: [
        {
          type: "Expression",
          name: "e",
          data: { flag: "$inputs.flag" },
          switch: {
            type: "CasesDefinition",
            cases: [
              {
                type: "CaseDefinition",
                condition: {
                  type: "StatementGroup",
                  statements: [{ type: "UnaryStatement", operand: { type: "DynamicOperand", operand_name: "flag" }, operator: { type: "(Boolean) is True" } }],
                },
                result: { type: "StaticCaseResult", value: "MATCH" },
              },
            ],
            default: { type: "StaticCaseResult", value: "NO MATCH" },
          },
        },
      ],
      outputs: [output("result", "$steps.e.output")],
    });
    expect(await runOnce(definition, { flag: true })).toEqual({ result: "MATCH" });
    expect(await runOnce(definition, { flag: 1 })).toEqual({ result: "NO MATCH" });
  });
});

describe("roboflow_core/property_definition@v1", () => {
  it("applies the chain, with Python slice defaults", async () => {
    const definition = workflow({
      inputs: [param("text")],
      steps: [{ type: "PropertyExtraction", name: "p", data: "$inputs.text", operations: [{ type: "StringToUpperCase" }, { type: "StringSubSequence" }] }],
      outputs: [output("out", "$steps.p.output")],
    });
    expect(await runOnce(definition, { text: "hello" })).toEqual({ out: "HELL" });
  });

  it("extracts image properties", async () => {
    const image = new WorkflowImage({ width: 4, height: 2, data: new Uint8Array(24), parentId: "image" });
    const definition = workflow({
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [{ type: "PropertyDefinition", name: "p", data: "$inputs.image", operations: [{ type: "ExtractImageProperty", property_name: "aspect_ratio" }] }],
      outputs: [output("ratio", "$steps.p.output")],
    });
    expect(await runOnce(definition, { image })).toEqual({ ratio: 2 });
  });
});

describe("roboflow_core/string_template@v1", () => {
  it("fills fields with Python str() of the values and keeps escaped braces", () => {
    expect(renderTemplate("{a} {b} {c} {{x}} {d}", { a: true, b: null, c: [1, "x"], d: 0.5 })).toBe("True None [1, 'x'] {x} 0.5");
  });

  it("says which field is missing", () => {
    expect(() => renderTemplate("{missing}", { present: 1 })).toThrow(/\['missing'\].*\['present'\]/);
    expect(() => renderTemplate("a } b", {})).toThrow(/Single '}'/);
  });
});

describe("roboflow_core/first_non_empty_or_default@v1", () => {
  it("skips nulls, including outputs of skipped steps", async () => {
    const definition = workflow({
      inputs: [param("a"), param("b")],
      steps: [{ type: "roboflow_core/first_non_empty_or_default@v1", name: "f", data: ["$inputs.a", "$inputs.b"], default: false }],
      outputs: [output("out", "$steps.f.output")],
    });
    expect(await runOnce(definition, { a: null, b: 0 })).toEqual({ out: 0 });
    expect(await runOnce(definition, { a: null, b: null })).toEqual({ out: false });
  });
});

describe("roboflow_core/continue_if@v1", () => {
  const gated = workflow({
    inputs: [param("value")],
    steps: [
      {
        type: "ContinueIf",
        name: "gate",
        condition_statement: statement("v", "(Number) ==", 1),
        evaluation_parameters: { v: "$inputs.value" },
        next_steps: ["$steps.after"],
        stop_delay: 1,
      },
      { type: "roboflow_core/property_definition@v1", name: "after", data: "$inputs.value", operations: [{ type: "ToString" }] },
    ],
    outputs: [output("after", "$steps.after.output")],
  });

  it("holds the branch open for stop_delay seconds after the condition last held", async () => {
    let now = 0;
    const engine = compile(gated, { clock: () => now });
    expect(await engine.run({ value: 2 })).toEqual([{ after: null }]); // never held yet
    expect(await engine.run({ value: 1 })).toEqual([{ after: "1" }]);
    now = 900;
    expect(await engine.run({ value: 2 })).toEqual([{ after: "2" }]); // within 1 s
    now = 1001;
    expect(await engine.run({ value: 2 })).toEqual([{ after: null }]); // past the delay
  });

  it("row 10's point: stop_delay only holds after a true evaluation on the same engine", async () => {
    expect(await compile(gated).run({ value: 2 })).toEqual([{ after: null }]);
  });

  it("rejects a negative stop_delay given at run time with RuntimeInputError", async () => {
    const definition = structuredClone(gated) as { inputs: unknown[]; steps: Record<string, unknown>[] };
    definition.inputs.push(param("delay"));
    definition.steps[0].stop_delay = "$inputs.delay";
    const error = await rejectionOf(compile(definition).run({ value: 1, delay: -1 }));
    expect(error.errorType).toBe("RuntimeInputError");
    expect(error.message).toContain("stop_delay");
  });
});

describe("roboflow_core/switch_case@v1", () => {
  const routing = (cases: Record<string, string>, extra: Record<string, unknown> = {}) =>
    workflow({
      inputs: [param("v")],
      steps: [
        { type: "SwitchCase", name: "s", value: "$inputs.v", cases, ...extra },
        { type: "PropertyDefinition", name: "yes", data: "$inputs.v", operations: [{ type: "ToString" }] },
        { type: "PropertyDefinition", name: "no", data: "$inputs.v", operations: [{ type: "ToString" }] },
      ],
      outputs: [output("yes", "$steps.yes.output"), output("no", "$steps.no.output")],
    });

  it("compares Python str(value): True, None and numbers", async () => {
    const definition = routing({ True: "$steps.yes", "2.5": "$steps.no" });
    expect(await runOnce(definition, { v: true })).toEqual({ yes: "True", no: null });
    expect(await runOnce(definition, { v: 2.5 })).toEqual({ yes: null, no: "2.5" });
    expect(await runOnce(definition, { v: "true" })).toEqual({ yes: null, no: null });
  });

  it("matches case-insensitively when asked", async () => {
    const definition = routing({ Car: "$steps.yes" }, { case_insensitive: true, default_next_steps: ["$steps.no"] });
    expect(await runOnce(definition, { v: "CAR" })).toEqual({ yes: "CAR", no: null });
    expect(await runOnce(definition, { v: "bus" })).toEqual({ yes: null, no: "bus" });
  });

  it("rejects a step that is both a case and a default", () => {
    expect(() => compile(routing({ a: "$steps.yes" }, { default_next_steps: ["$steps.yes"] }))).toThrow(/targeted at most once/);
  });
});
