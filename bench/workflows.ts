/** Workflows the benchmarks share. */

import { statement } from "../test/helpers/workflows.js";

export { statement };

/** Ten steps of the kinds a moderation / monitoring workflow uses around its model. */
export function tenStepWorkflow(valueInput: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [valueInput, { type: "WorkflowParameter", name: "label", default_value: "car" }],
    steps: [
      { type: "PropertyDefinition", name: "rounded", data: "$inputs.value", operations: [{ type: "NumberRound", decimal_digits: 2 }] },
      {
        type: "Expression",
        name: "verdict",
        data: { s: "$steps.rounded.output" },
        switch: {
          type: "CasesDefinition",
          cases: [{ type: "CaseDefinition", condition: statement("s", "(Number) >=", 0.3), result: { type: "StaticCaseResult", value: "flag" } }],
          default: { type: "StaticCaseResult", value: "pass" },
        },
      },
      {
        type: "roboflow_core/string_template@v1",
        name: "message",
        template: "{label}: {verdict} ({score})",
        data: { label: "$inputs.label", verdict: "$steps.verdict.output", score: "$steps.rounded.output" },
      },
      { type: "roboflow_core/first_non_empty_or_default@v1", name: "fallback", data: ["$steps.message.output"], default: "none" },
      {
        type: "ContinueIf",
        name: "gate",
        condition_statement: statement("v", "==", "flag"),
        evaluation_parameters: { v: "$steps.verdict.output" },
        next_steps: ["$steps.alert"],
      },
      { type: "PropertyDefinition", name: "alert", data: "$steps.message.output", operations: [{ type: "StringToUpperCase" }] },
      { type: "SwitchCase", name: "route", value: "$steps.verdict.output", cases: { pass: "$steps.passed" } },
      { type: "PropertyDefinition", name: "passed", data: "$steps.fallback.output", operations: [{ type: "SequenceLength" }] },
      { type: "PropertyDefinition", name: "length", data: "$steps.message.output", operations: [{ type: "SequenceLength" }, { type: "Multiply", other: 2 }] },
      {
        type: "Expression",
        name: "summary",
        data: { alert: "$steps.alert.output", n: "$steps.length.output" },
        switch: { type: "CasesDefinition", cases: [], default: { type: "DynamicCaseResult", parameter_name: "n" } },
      },
    ],
    outputs: [
      { type: "JsonField", name: "verdict", selector: "$steps.verdict.output" },
      { type: "JsonField", name: "message", selector: "$steps.fallback.output" },
      { type: "JsonField", name: "alert", selector: "$steps.alert.output" },
      { type: "JsonField", name: "passed", selector: "$steps.passed.output" },
      { type: "JsonField", name: "summary", selector: "$steps.summary.output" },
    ],
  };
}
