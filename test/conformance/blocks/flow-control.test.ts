/**
 * Upstream's unit tests of the flow-control blocks
 * (tests/workflows/unit_tests/core_steps/control_flow/ at roboflow/inference 3bb973b5), case by
 * case: manifests parsed as the compiler parses a step, runs called directly with resolved values.
 */
import { describe, expect, it } from "vitest";
import { continueIfBlock } from "../../../src/blocks/flow-control/continue-if.js";
import { switchCaseBlock } from "../../../src/blocks/flow-control/switch-case.js";
import { StepHarness } from "../../helpers/step-harness.js";
import { errorOf } from "../../helpers/errors.js";
import { asUpstreamFlowControl, parseStep } from "../engine-harness.js";

// control_flow/test_switch_case.py
describe("roboflow_core/switch_case@v1", () => {
  const step = (extra: Record<string, unknown>) => ({ type: "roboflow_core/switch_case@v1", name: "switch", ...extra });

  // test_switch_case_manifest_parsing_when_input_is_valid
  it.each(["$inputs.mode", "$steps.classifier.top", "red", 5, 1.5, true])("parses value %j", (value) => {
    const manifest = step({ value, cases: { red: "$steps.on_red", blue: "$steps.on_blue" }, default_next_steps: ["$steps.fallback"] });
    expect(parseStep(manifest)).toEqual({
      value,
      cases: { red: "$steps.on_red", blue: "$steps.on_blue" },
      case_insensitive: false,
      default_next_steps: ["$steps.fallback"],
    });
  });

  // test_switch_case_manifest_parsing_when_cases_and_default_are_omitted
  it("defaults cases to {} and default_next_steps to []", () => {
    expect(parseStep(step({ value: "$inputs.mode" }))).toMatchObject({ cases: {}, default_next_steps: [] });
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    // test_switch_case_manifest_parsing_when_target_duplicated_across_cases
    ["a target duplicated across cases", { cases: { red: "$steps.on_red", crimson: "$steps.on_red" } }, /Duplicated targets: \['\$steps\.on_red'\]/],
    // test_switch_case_manifest_parsing_when_target_duplicated_between_cases_and_default
    [
      "a target duplicated between cases and default",
      { cases: { red: "$steps.on_red" }, default_next_steps: ["$steps.on_red"] },
      /Each step may be targeted at most once across `cases` and `default_next_steps`/,
    ],
    // test_switch_case_manifest_parsing_when_keys_collide_case_insensitively
    [
      "keys colliding under case_insensitive",
      { cases: { Red: "$steps.on_red", red: "$steps.on_other" }, case_insensitive: true },
      /`cases` contains keys that collide when case_insensitive is enabled/,
    ],
    // test_switch_case_manifest_parsing_when_case_target_is_not_step_selector
    [
      "a case target that is not a step selector",
      { cases: { red: "$inputs.on_red" } },
      /cases\.red: expected a step \(\$steps\.<name>\), got "\$inputs\.on_red"/,
    ],
  ];
  it.each(invalid)("rejects %s (pydantic ValidationError → WorkflowSyntaxError)", (_, extra, message) => {
    const error = errorOf(() => parseStep(step({ value: "$inputs.mode", ...extra })));
    expect(error.errorType).toBe("WorkflowSyntaxError");
    expect(error.message).toMatch(message);
  });

  // test_switch_case_manifest_parsing_when_colliding_keys_allowed_case_sensitively
  it("keeps keys that differ in case when case_insensitive is off", () => {
    const manifest = step({ value: "$inputs.mode", cases: { Red: "$steps.on_red", red: "$steps.on_other" }, case_insensitive: false });
    expect(parseStep(manifest).cases).toEqual({ Red: "$steps.on_red", red: "$steps.on_other" });
  });

  const run = (value: unknown, cases: Record<string, string>, case_insensitive: boolean, default_next_steps: string[]) =>
    asUpstreamFlowControl(new StepHarness(switchCaseBlock).run({ value: "$inputs.value", cases, case_insensitive, default_next_steps }, { value }));

  const runs: [string, unknown, Record<string, string>, boolean, string[], ReturnType<typeof asUpstreamFlowControl>][] = [
    // test_switch_case_run_when_case_matches
    [
      "a matching case",
      "red",
      { red: "$steps.on_red", blue: "$steps.on_blue" },
      false,
      ["$steps.fallback"],
      { mode: "select_step", context: ["$steps.on_red"] },
    ],
    // test_switch_case_run_when_no_case_matches_and_default_defined
    [
      "no match, a default",
      "green",
      { red: "$steps.on_red", blue: "$steps.on_blue" },
      false,
      ["$steps.fallback"],
      { mode: "select_step", context: ["$steps.fallback"] },
    ],
    // test_switch_case_run_when_no_case_matches_and_default_empty
    ["no match, no default", "green", { red: "$steps.on_red" }, false, [], { mode: "terminate_branch" }],
    // test_switch_case_run_when_case_insensitive_match
    ["a case-insensitive match", "RED", { red: "$steps.on_red" }, true, ["$steps.fallback"], { mode: "select_step", context: ["$steps.on_red"] }],
    // test_switch_case_run_when_case_sensitive_mismatch
    ["a case-sensitive mismatch", "RED", { red: "$steps.on_red" }, false, ["$steps.fallback"], { mode: "select_step", context: ["$steps.fallback"] }],
    // test_switch_case_run_when_no_cases_defined
    ["no cases", "anything", {}, false, ["$steps.fallback"], { mode: "select_step", context: ["$steps.fallback"] }],
  ];
  it.each(runs)("routes %s", (_, value, cases, caseInsensitive, defaults, expected) => {
    expect(run(value, cases, caseInsensitive, defaults)).toEqual(expected);
  });

  // test_switch_case_run_coerces_value_to_string: (None, "None"), (5, "5"), (True, "True")
  it.each([
    [null, "None"],
    [5, "5"],
    [true, "True"],
  ])("matches %j to the case %j (Python's str)", (value, key) => {
    expect(run(value, { [key]: "$steps.on_match" }, false, [])).toEqual({ mode: "select_step", context: ["$steps.on_match"] });
  });

  // test_switch_case_run_coerces_value_to_string: (1.0, "1.0") — a documented difference
  // (docs/reference/workflows.md#deliberate-differences-from-upstream): JSON has no 1.0 apart
  // from 1, so a whole-number float prints as "1" and matches the case "1".
  it("matches a whole-number float to the case of its integer (JSON cannot tell 1.0 from 1)", () => {
    expect(run(1.0, { "1.0": "$steps.on_match" }, false, [])).toEqual({ mode: "terminate_branch" });
    expect(run(1.0, { "1": "$steps.on_match" }, false, [])).toEqual({ mode: "select_step", context: ["$steps.on_match"] });
  });
});

// control_flow/test_rate_limiter.py
describe("roboflow_core/rate_limiter@v1", () => {
  // test_rate_limiter_manifest_parsing_when_input_is_valid
  it.each(["$inputs.image", "$inputs.param", "$steps.some.data"])("parses depends_on %s", (depends_on) => {
    const manifest = { type: "roboflow_core/rate_limiter@v1", name: "rate_limiter", cooldown_seconds: 10, depends_on, next_steps: ["$steps.some"] };
    expect(parseStep(manifest)).toEqual({ cooldown_seconds: 10, depends_on, next_steps: ["$steps.some"], video_reference_image: null });
  });

  // test_rate_limiter_manifest_parsing_when_cooldown_is
  it("rejects a negative cooldown", () => {
    const manifest = {
      type: "roboflow_core/rate_limiter@v1",
      name: "rate_limiter",
      cooldown_seconds: -0.1,
      depends_on: "$steps.some.data",
      next_steps: ["$steps.some"],
    };
    expect(errorOf(() => parseStep(manifest)).errorType).toBe("WorkflowSyntaxError");
  });
});

// control_flow/test_control_flow.py: test_continue_if_evaluation, one row per parametrised case;
// upstream evaluates the condition alone, here continue_if decides on it.
describe("roboflow_core/continue_if@v1 condition evaluation", () => {
  const statement = (left: unknown, comparator: string, right: unknown) => ({
    type: "StatementGroup",
    statements: [
      {
        type: "BinaryStatement",
        left_operand: { type: "StaticOperand", value: left },
        comparator: { type: comparator },
        right_operand: { type: "StaticOperand", value: right },
      },
    ],
  });
  const cases: [string, ReturnType<typeof statement>, boolean][] = [
    ["CONTINUE_IF_MULTI_LABEL_EXACT_MATCH_PASS", statement(["lion", "zebra"], "==", ["lion", "zebra"]), true],
    ["CONTINUE_IF_MULTI_LABEL_EXACT_MATCH_FAIL", statement(["lion", "zebra"], "==", ["lion", "zebra", "elephant"]), false],
    ["CONTINUE_IF_MULTI_LABEL_ANY_MATCH_PASS", statement(["lion", "zebra"], "any in (Sequence)", ["cat", "zebra", "dog"]), true],
    ["CONTINUE_IF_MULTI_LABEL_ANY_MATCH_FAIL", statement(["lion", "zebra"], "any in (Sequence)", ["cat", "elephant", "dog"]), false],
    ["CONTINUE_IF_MULTI_LABEL_ALL_MATCH_PASS", statement(["lion", "zebra"], "all in (Sequence)", ["zebra", "lion"]), true],
    ["CONTINUE_IF_MULTI_LABEL_ALL_MATCH_FAIL", statement(["lion", "dog"], "all in (Sequence)", ["zebra", "lion"]), false],
  ];
  it.each(cases)("%s", (_, condition_statement, expected) => {
    const decision = new StepHarness(continueIfBlock).run({ condition_statement, evaluation_parameters: {}, next_steps: ["$steps.flip"] });
    expect(asUpstreamFlowControl(decision)).toEqual(expected ? { mode: "select_step", context: ["$steps.flip"] } : { mode: "terminate_branch" });
  });
});
