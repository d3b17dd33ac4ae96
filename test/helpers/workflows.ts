/** Pieces of workflow definitions that tests write again and again. */

/** A condition with one binary statement: `operand comparator value`, the operand a named parameter. */
export const statement = (operand: string, comparator: string, value: unknown) => ({
  type: "StatementGroup",
  statements: [
    {
      type: "BinaryStatement",
      left_operand: { type: "DynamicOperand", operand_name: operand },
      comparator: { type: comparator },
      right_operand: { type: "StaticOperand", value },
    },
  ],
});

/** A rate limiter on the video time of `$inputs.image` (one pass per `cooldown_seconds`) gating `next`. */
export const videoTimeSampler = (next: string, cooldown_seconds = 1) => ({
  type: "roboflow_core/rate_limiter@v1",
  name: "sample",
  cooldown_seconds,
  depends_on: "$inputs.image",
  video_reference_image: "$inputs.image",
  next_steps: [`$steps.${next}`],
});

/** On video frames: each frame's number, and `is_outlier` (a flag) from frame `flagFrom` on. */
export function flagFromFrame(flagFrom: number) {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [
      { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
      {
        type: "Expression",
        name: "flag",
        data: { n: "$steps.frame.output" },
        switch: {
          type: "CasesDefinition",
          cases: [{ type: "CaseDefinition", condition: statement("n", "(Number) >=", flagFrom), result: { type: "StaticCaseResult", value: true } }],
          default: { type: "StaticCaseResult", value: false },
        },
      },
    ],
    outputs: [
      { type: "JsonField", name: "frame_number", selector: "$steps.frame.output" },
      { type: "JsonField", name: "is_outlier", selector: "$steps.flag.output" },
    ],
  };
}

/** A definition with `steps` steps of one custom block, each doubling the input. */
export function customStepsWorkflow(steps: number, code: { run?: string; init?: string } = {}): Record<string, unknown> {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowParameter", name: "value" }],
    dynamic_blocks_definitions: [
      {
        type: "DynamicBlockDefinition",
        manifest: {
          type: "ManifestDescription",
          block_type: "Double",
          inputs: { value: { type: "DynamicInputDefinition", selector_types: ["input_parameter"] } },
          outputs: { doubled: { type: "DynamicOutputDefinition", kind: [] } },
        },
        code: {
          type: "JavaScriptCode",
          run_function_code: code.run ?? "let calls = 0;\nfunction run({ value }) { calls += 1; return { doubled: value * 2 * calls }; }",
          init_function_code: code.init ?? null,
        },
      },
    ],
    steps: Array.from({ length: steps }, (_, index) => ({ type: "Double", name: `double_${index}`, value: "$inputs.value" })),
    outputs: Array.from({ length: steps }, (_, index) => ({ type: "JsonField", name: `out_${index}`, selector: `$steps.double_${index}.doubled` })),
  };
}

/** A custom JavaScript block (`dynamic_blocks_definitions` entry) that reads `$inputs.image`; `outputs` by name, with their kinds. */
export function imageBlockDefinition(blockType: string, outputs: Record<string, string[]>, runFunctionCode: string): Record<string, unknown> {
  return {
    type: "DynamicBlockDefinition",
    manifest: {
      type: "ManifestDescription",
      block_type: blockType,
      inputs: { image: { type: "DynamicInputDefinition", selector_types: ["input_image"] } },
      outputs: Object.fromEntries(Object.entries(outputs).map(([name, kind]) => [name, { type: "DynamicOutputDefinition", kind }])),
    },
    code: { type: "JavaScriptCode", run_function_code: runFunctionCode },
  };
}

/**
 * The start of a custom block's `run` that reads its frame's mean colour: `mean` is `[r, g, b]`,
 * 0–255. Tests plant red frames in generated videos and flag them from it.
 */
export const MEAN_COLOUR_RUN_START = [
  "function run({ image }) {",
  "  const sums = [0, 0, 0];",
  "  for (let i = 0; i < image.data.length; i++) sums[i % 3] += image.data[i];",
  "  const mean = sums.map((sum) => sum / (image.data.length / 3));",
];
