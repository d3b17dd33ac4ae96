/**
 * Upstream's unit tests of the executor (roboflow/inference 3bb973b5,
 * tests/workflows/unit_tests/execution_engine/executor/ and entities/test_base.py), case by case:
 * run-time inputs assembled and validated by sightline's `assembleInputs` and
 * `checkParameterProperties`, execution order read off the plan's layers, outputs of real runs.
 * Upstream's numpy arrays are `WorkflowImage`s here, its mocked URL download a real HTTP server.
 *
 * Left out: the execution-data-manager internals (branching manager, dynamic batches, execution
 * cache, step input assembler, future resolution), test_step_context.py and
 * test_stream_pipeline_flush.py (threads and pipeline internals), the serializer-registry and
 * detections cases of test_output_constructor.py, and the batch, crop, tensor and parent-origin
 * cases of entities/test_base.py — none has a counterpart in sightline.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleInputs, checkParameterProperties } from "../../../src/executor/inputs.js";
import { DEFAULT_IMAGE_LOAD_OPTIONS, type ImageLoadOptions } from "../../../src/images/codec.js";
import { FrameTimestamp } from "../../../src/images/timestamp.js";
import { validate, WorkflowImage, type VideoMetadata } from "../../../src/index.js";
import { tempDir } from "../../helpers/cli.js";
import { rejectionOf } from "../../helpers/errors.js";
import { output, testRegistry, workflow } from "../../helpers/test-blocks.js";
import { runWorkflow } from "../engine-harness.js";

let png: { zeros: string; ones: string };
let file: string;
let server: Server;
let url: string;

beforeAll(async () => {
  const encode = (value: number, width: number, height: number) =>
    sharp(Buffer.alloc(width * height * 3, value), { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
  const [zeros, ones] = await Promise.all([encode(0, 168, 192), encode(1, 256, 256)]);
  png = { zeros: zeros.toString("base64"), ones: ones.toString("base64") };
  file = join(tempDir(), "image.png");
  await sharp(zeros).toFile(file);
  server = createServer((_, response) => response.writeHead(200, { "content-type": "image/png" }).end(zeros));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.jpg`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Upstream's `np.zeros((h, w, 3))` / `np.ones(…)` as a `WorkflowImage`. */
function array(width: number, height: number, value = 0, parentId = "array"): WorkflowImage {
  return new WorkflowImage({ width, height, data: new Uint8Array(width * height * 3).fill(value), parentId });
}

const allEqual = (image: WorkflowImage, value: number) => image.data.every((v) => v === value);

/** `assemble_runtime_parameters(runtime_parameters, defined_inputs)`: the inputs of a definition with no steps. */
async function assemble(inputs: unknown[], raw: Record<string, unknown>, options: Partial<ImageLoadOptions> = {}): Promise<Record<string, unknown>> {
  const plan = validate({ version: "1.0", inputs, steps: [], outputs: [] });
  const { values } = await assembleInputs(plan, raw, { ...DEFAULT_IMAGE_LOAD_OPTIONS, ...options });
  return Object.fromEntries(values);
}

const image = (name: string) => ({ type: "WorkflowImage", name });
const videoMetadataInput = (name: string) => ({ type: "WorkflowVideoMetadata", name });
const batchInput = (name: string, kind: string[], dimensionality?: number) => ({
  type: "WorkflowBatchInput",
  name,
  kind,
  ...(dimensionality ? { dimensionality } : {}),
});
const metadata = (video_identifier: string, extra: Record<string, unknown> = {}) => ({
  video_identifier,
  frame_number: 1,
  frame_timestamp: "2024-09-17T10:01:15.123456",
  fps: 50,
  comes_from_video_file: true,
  ...extra,
});

// executor/test_runtime_input_assembler.py
describe("run-time input assembly", () => {
  it("test_assemble_runtime_parameters_when_image_is_not_provided", async () => {
    expect((await rejectionOf(assemble([image("image")], {}))).errorType).toBe("RuntimeInputError");
  });

  it("test_assemble_runtime_parameters_when_image_is_provided_as_single_element_dict (a URL, over real HTTP)", async () => {
    const { image1 } = await assemble([image("image1")], { image1: { type: "url", value: url } });
    const images = image1 as WorkflowImage[];
    expect(images).toHaveLength(1);
    expect([images[0].width, images[0].height, allEqual(images[0], 0)]).toEqual([168, 192, true]);
    expect(images[0].parentId).toBe("image1");
  });

  it("test_assemble_runtime_parameters_when_image_is_provided_as_single_element_dict_pointing_local_file_when_load_of_local_files_allowed", async () => {
    const [loaded] = (await assemble([image("image1")], { image1: { type: "file", value: file } })).image1 as WorkflowImage[];
    expect([allEqual(loaded, 0), loaded.parentId]).toEqual([true, "image1"]);
  });

  it("test_assemble_runtime_parameters_when_image_is_provided_as_single_element_dict_pointing_local_file_when_load_of_local_files_not_allowed", async () => {
    const error = await rejectionOf(assemble([image("image1")], { image1: { type: "file", value: file } }, { allowLocalFiles: false }));
    expect(error.errorType).toBe("RuntimeInputError");
  });

  // docs/reference/workflows.md#deliberate-differences-from-upstream: a WorkflowImage keeps its
  // own parent id, where upstream names a numpy array after its input ("image1").
  it("test_assemble_runtime_parameters_when_image_is_provided_as_single_element_np_array: one element, its own lineage", async () => {
    const given = array(168, 192);
    const images = (await assemble([image("image1")], { image1: given })).image1 as WorkflowImage[];
    expect(images).toEqual([given]);
    expect(images[0].parentId).toBe("array");
  });

  it("test_assemble_runtime_parameters_when_image_is_provided_as_unknown_element", async () => {
    expect((await rejectionOf(assemble([image("image1")], { image1: "some" }))).errorType).toBe("RuntimeInputError");
  });

  it("test_assemble_runtime_parameters_when_image_is_provided_in_batch: parent ids by index", async () => {
    const images = (
      await assemble([image("image1")], {
        image1: [
          { type: "base64", value: png.zeros },
          { type: "base64", value: png.ones },
        ],
      })
    ).image1 as WorkflowImage[];
    expect(images.map((i) => i.parentId)).toEqual(["image1.[0]", "image1.[1]"]);
    expect([allEqual(images[0], 0), allEqual(images[1], 1)]).toEqual([true, true]);
  });

  it("test_assemble_runtime_parameters_when_image_is_provided_with_video_metadata: as a dict or as an object", async () => {
    const object: VideoMetadata = {
      video_identifier: "video_id",
      frame_number: 127,
      frame_timestamp: new Date(),
      fps: 40,
      measured_fps: null,
      comes_from_video_file: null,
    };
    const images = (
      await assemble([image("image1")], {
        image1: [
          {
            type: "base64",
            value: png.zeros,
            video_metadata: { video_identifier: "some_id", frame_number: 37, frame_timestamp: "2024-09-17T10:01:15.123456", fps: 35 },
          },
          { type: "numpy_object", value: array(256, 256, 1), video_metadata: object },
        ],
      })
    ).image1 as WorkflowImage[];
    expect(images).toHaveLength(2);
    expect([images[0].parentId, images[0].videoMetadata.video_identifier, allEqual(images[0], 0)]).toEqual(["image1.[0]", "some_id", true]);
    expect([images[1].videoMetadata.video_identifier, allEqual(images[1], 1)]).toEqual(["video_id", true]);
  });

  it("test_assemble_runtime_parameters_when_parameter_not_provided", async () => {
    expect(await assemble([{ type: "WorkflowParameter", name: "parameter" }], {})).toEqual({ parameter: null });
  });

  it("test_assemble_runtime_parameters_when_parameter_provided", async () => {
    expect(await assemble([{ type: "WorkflowParameter", name: "parameter" }], { parameter: 37 })).toEqual({ parameter: 37 });
  });

  it("test_assemble_runtime_parameters_when_images_with_different_matching_batch_sizes_provided: length-1 inputs broadcast", async () => {
    const zeros = { type: "base64", value: png.zeros };
    const result = await assemble([image("image1"), image("image2"), image("image3")], {
      image1: [zeros, { type: "base64", value: png.ones }],
      image2: zeros,
      image3: [zeros],
    });
    for (const name of ["image1", "image2", "image3"]) expect(result[name]).toHaveLength(2);
    expect([...(result.image2 as WorkflowImage[]), ...(result.image3 as WorkflowImage[])].every((i) => allEqual(i, 0))).toBe(true);
  });

  it("test_assemble_runtime_parameters_when_images_with_different_and_not_matching_batch_sizes_provided", async () => {
    const zeros = { type: "base64", value: png.zeros };
    const error = await rejectionOf(assemble([image("image1"), image("image2")], { image1: [zeros, zeros], image2: [zeros, zeros, zeros] }));
    expect(error.errorType).toBe("RuntimeInputError");
  });

  it("test_assemble_runtime_parameters_when_video_metadata_with_different_matching_batch_sizes_provided", async () => {
    const result = await assemble([videoMetadataInput("meta1"), videoMetadataInput("meta2")], { meta1: [metadata("a"), metadata("b")], meta2: metadata("c") });
    expect(result.meta1).toHaveLength(2);
    expect((result.meta2 as VideoMetadata[]).map((m) => m.video_identifier)).toEqual(["c", "c"]);
  });

  it("test_assemble_runtime_parameters_when_video_metadata_declared_but_not_provided", async () => {
    expect((await rejectionOf(assemble([videoMetadataInput("meta1")], {}))).errorType).toBe("RuntimeInputError");
  });

  // timestamp given as 1, time.time(), datetime.now() (a Date here) and datetime.now().isoformat()
  it.each([1, 1726570875.123456, new Date(), "2024-09-17T10:01:15.123456"])(
    "test_assemble_runtime_parameters_when_video_metadata_declared_and_provided_as_dict (frame_timestamp %j)",
    async (frame_timestamp) => {
      const [read] = (await assemble([videoMetadataInput("meta1")], { meta1: metadata("a", { frame_timestamp }) })).meta1 as VideoMetadata[];
      expect(read.video_identifier).toBe("a");
      expect(read.frame_timestamp).toBeInstanceOf(FrameTimestamp);
    },
  );

  it("test_assemble_runtime_parameters_when_video_metadata_declared_and_provided_as_object", async () => {
    const given: VideoMetadata = {
      video_identifier: "a",
      frame_number: 1,
      frame_timestamp: new Date(),
      fps: 50,
      measured_fps: null,
      comes_from_video_file: false,
    };
    const [read] = (await assemble([videoMetadataInput("meta1")], { meta1: given })).meta1 as VideoMetadata[];
    expect(read.video_identifier).toBe("a");
    expect(read.frame_timestamp).toBeInstanceOf(Date);
  });

  it("test_assemble_runtime_parameters_when_video_metadata_with_different_and_not_matching_batch_sizes_provided", async () => {
    const error = await rejectionOf(
      assemble([videoMetadataInput("meta1"), videoMetadataInput("meta2")], {
        meta1: [metadata("a"), metadata("b")],
        meta2: [metadata("c"), metadata("c"), metadata("c")],
      }),
    );
    expect(error.errorType).toBe("RuntimeInputError");
  });

  it("test_assemble_runtime_parameters_when_basic_types_are_passed_as_batch_oriented_inputs: values unchanged", async () => {
    const given = {
      string_param: ["a", "b"],
      float_param: [1.0, 2.0],
      int_param: [3, 4],
      list_param: [
        ["some", "list"],
        ["other", "list"],
      ],
      boolean_param: [false, true],
      dict_param: [{ some: "dict" }, { other: "dict" }],
    };
    const kinds: Record<string, string> = {
      string_param: "string",
      float_param: "float",
      int_param: "integer",
      list_param: "list_of_values",
      boolean_param: "boolean",
      dict_param: "dictionary",
    };
    const inputs = Object.entries(kinds).map(([name, kind]) => batchInput(name, [kind]));
    expect(await assemble(inputs, given)).toEqual(given);
  });

  it("test_assemble_runtime_parameters_when_input_batch_deeper_than_declared", async () => {
    const error = await rejectionOf(
      assemble([batchInput("string_param", ["string"]), batchInput("float_param", ["float"])], { string_param: ["a", "b"], float_param: [[1.0], [2.0]] }),
    );
    expect(error.errorType).toBe("RuntimeInputError");
  });

  // docs/reference/workflows.md#deliberate-differences-from-upstream: batch inputs of
  // dimensionality above 1 are refused when compiling, so these two upstream cases
  // (test_assemble_runtime_parameters_when_parameters_at_different_dimensionality_depth_emerge,
  // test_assemble_runtime_parameters_when_input_batch_shallower_than_declared) end in
  // StepInputDimensionalityError before any input is read.
  it.each([
    "test_assemble_runtime_parameters_when_parameters_at_different_dimensionality_depth_emerge",
    "test_assemble_runtime_parameters_when_input_batch_shallower_than_declared",
  ])("%s: dimensionality 2 is refused at compile time", async () => {
    const error = await rejectionOf(
      assemble([batchInput("string_param", ["string"]), batchInput("float_param", ["float"], 2)], { string_param: ["a", "b"], float_param: [1.0, 2.0] }),
    );
    expect(error.errorType).toBe("StepInputDimensionalityError");
  });
});

// executor/test_runtime_input_validator.py: a ClipComparison whose `texts` is `$inputs.text_*`
describe("run-time input validation", () => {
  const plan = validate({
    version: "1.0",
    inputs: [image("image"), { type: "WorkflowParameter", name: "text_1" }, { type: "WorkflowParameter", name: "text_2" }],
    steps: [
      { type: "ClipComparison", name: "a", image: "$inputs.image", texts: "$inputs.text_1" },
      { type: "ClipComparison", name: "b", image: "$inputs.image", texts: "$inputs.text_2" },
    ],
    outputs: [],
  });

  it("test_validate_runtime_input_when_input_is_valid", () => {
    expect(() =>
      checkParameterProperties(
        plan,
        new Map<string, unknown>([
          ["text_1", ["some", "other"]],
          ["text_2", ["also", "a", "list"]],
        ]),
      ),
    ).not.toThrow();
  });

  it("test_validate_runtime_input_when_input_is_invalid", () => {
    const values = new Map<string, unknown>([
      ["text_1", "should_be_a_list_of_str"],
      ["text_2", ["a"]],
    ]);
    expect(() => checkParameterProperties(plan, values)).toThrow(expect.objectContaining({ errorType: "RuntimeInputError" }));
  });

  // docs/reference/workflows.md#deliberate-differences-from-upstream: upstream re-validates a
  // selector-only property fed by a WorkflowParameter with its value and refuses anything but a
  // selector string; sightline passes the value to the step.
  it("passes a parameter's value into a selector-only property (upstream: RuntimeInputError)", async () => {
    const definition = {
      version: "1.0",
      inputs: [{ type: "WorkflowParameter", name: "values" }],
      steps: [{ type: "roboflow_core/property_definition@v1", name: "count", data: "$inputs.values", operations: [{ type: "SequenceLength" }] }],
      outputs: [{ type: "JsonField", name: "count", selector: "$steps.count.output" }],
    };
    expect(await runWorkflow(definition, { values: [1, 2, 3] })).toEqual([{ count: 3 }]);
  });
});

// executor/test_flow_coordinator.py: the steps to execute next, round by round — sightline's layers
describe("execution order", () => {
  /** A step of `name` reading the given steps' outputs (or the input). */
  const step = (name: string, after: string[]) => ({
    type: "test/add@v1",
    name,
    a: after.length > 0 ? `$steps.${after[0]}.sum` : "$inputs.input_1",
    b: after.length > 1 ? `$steps.${after[1]}.sum` : 0,
  });
  const layersOf = (steps: ReturnType<typeof step>[], outputs: [string, string][]) => {
    const plan = validate(
      workflow({ inputs: [{ type: "WorkflowParameter", name: "input_1" }], steps, outputs: outputs.map(([name, from]) => output(name, `$steps.${from}.sum`)) }),
      { registry: testRegistry },
    );
    return plan.layers.map((layer) => new Set(layer.map((s) => s.name)));
  };

  it("test_parallel_flow_coordinator_when_there_is_simple_execution_path", () => {
    expect(layersOf([step("step_1", []), step("step_2", ["step_1"])], [["output_1", "step_2"]])).toEqual([new Set(["step_1"]), new Set(["step_2"])]);
  });

  it("test_parallel_flow_coordinator_when_there_is_ensemble_of_models", () => {
    expect(layersOf([step("step_1", []), step("step_2", []), step("step_3", ["step_1", "step_2"])], [["output_1", "step_3"]])).toEqual([
      new Set(["step_1", "step_2"]),
      new Set(["step_3"]),
    ]);
  });

  it("test_parallel_flow_coordinator_when_there_is_condition_step", () => {
    const steps = [step("step_1", []), step("step_2", ["step_1"]), step("step_5", ["step_2"]), step("step_3", ["step_1"]), step("step_4", ["step_3"])];
    expect(
      layersOf(steps, [
        ["output_1", "step_5"],
        ["output_2", "step_4"],
      ]),
    ).toEqual([new Set(["step_1"]), new Set(["step_2", "step_3"]), new Set(["step_4", "step_5"])]);
  });

  it("test_parallel_flow_coordinator_when_there_are_two_parallel_execution_paths", () => {
    const steps = [step("step_1", []), step("step_2", ["step_1"]), step("step_3", []), step("step_4", ["step_3"])];
    expect(
      layersOf(steps, [
        ["output_1", "step_2"],
        ["output_2", "step_4"],
      ]),
    ).toEqual([new Set(["step_1", "step_3"]), new Set(["step_2", "step_4"])]);
  });
});

// executor/test_output_constructor.py
describe("workflow output construction", () => {
  it("test_construct_workflow_output_when_no_batch_outputs_present: one result", async () => {
    const definition = workflow({
      inputs: [{ type: "WorkflowParameter", name: "b" }],
      steps: [{ type: "test/add@v1", name: "some", a: 1, b: 2 }],
      outputs: [output("a", "$steps.some.sum"), output("b", "$inputs.b")],
    });
    expect(await runWorkflow(definition, { b: "b_value" }, { registry: testRegistry })).toEqual([{ a: 3, b: "b_value" }]);
  });

  // The one-dimensional part of the case: an element a batch step did not run for is None, a
  // scalar output is repeated in every result. Its outputs of nested dimensionality (`b`,
  // `b_empty_nested`) have no counterpart: sightline has no block that nests batches.
  it("test_construct_workflow_output_when_batch_outputs_present: None where the step did not run, scalars in every result", async () => {
    const definition = workflow({
      inputs: [{ type: "WorkflowBatchInput", name: "open" }],
      steps: [
        { type: "test/gate@v1", name: "gate", open: "$inputs.open", next_steps: ["$steps.some"] },
        { type: "test/add@v1", name: "some", a: 1, b: 0 },
        { type: "test/add@v1", name: "other", a: 2, b: 0 },
      ],
      outputs: [output("a", "$steps.some.sum"), output("c", "$steps.other.sum")],
    });
    expect(await runWorkflow(definition, { open: [true, false, true] }, { registry: testRegistry })).toEqual([
      { a: 1, c: 2 },
      { a: null, c: 2 },
      { a: 1, c: 2 },
    ]);
  });
});

// entities/test_base.py
describe("WorkflowImageData", () => {
  it("test_workflow_image_default_video_metadata_generation: parent id, frame 0, fps 30, now", () => {
    const before = Date.now();
    const { frame_timestamp, ...rest } = new WorkflowImage({ width: 168, height: 192, data: new Uint8Array(168 * 192 * 3), parentId: "parent" }).videoMetadata;
    expect(rest).toEqual({ video_identifier: "parent", frame_number: 0, fps: 30, measured_fps: null, comes_from_video_file: null });
    // naive local time, as datetime.now()
    expect(frame_timestamp).toBeInstanceOf(FrameTimestamp);
    expect((frame_timestamp as FrameTimestamp).utcOffsetSeconds).toBeNull();
    const offset = new Date().getTimezoneOffset() * 60_000;
    expect(frame_timestamp.getTime() + offset).toBeGreaterThanOrEqual(before);
  });

  it("test_workflow_image_video_metadata_preservation: the given metadata itself", () => {
    const metadata: VideoMetadata = {
      video_identifier: "parent",
      frame_number: 0,
      frame_timestamp: new Date(),
      fps: 40,
      measured_fps: null,
      comes_from_video_file: null,
    };
    const given = new WorkflowImage({ width: 1, height: 1, data: new Uint8Array(3), parentId: "parent", videoMetadata: metadata });
    expect(given.videoMetadata).toBe(metadata);
  });

  it("test_workflow_image_replace_image_operation: other pixels, the same lineage and metadata", () => {
    const metadata: VideoMetadata = {
      video_identifier: "v",
      frame_number: 3,
      frame_timestamp: new Date(),
      fps: 40,
      measured_fps: null,
      comes_from_video_file: null,
    };
    const original = new WorkflowImage({ width: 2, height: 2, data: new Uint8Array(12), parentId: "parent", rootParentId: "root", videoMetadata: metadata });
    const replaced = original.withPixels(3, 1, new Uint8Array(9).fill(7));
    expect([replaced.width, replaced.height, allEqual(replaced, 7)]).toEqual([3, 1, true]);
    expect([replaced.parentId, replaced.rootParentId, replaced.videoMetadata]).toEqual(["parent", "root", metadata]);
  });
});
