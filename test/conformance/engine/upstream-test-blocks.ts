/**
 * sightline's counterparts of the test-only blocks upstream's engine tests compile against
 * (roboflow/inference 3bb973b5,
 * tests/workflows/unit_tests/execution_engine/compiler/plugin_with_test_blocks/blocks.py): the
 * same types, properties, selector kinds and outputs, registered as a plugin. Upstream's blocks
 * never run in those tests; these return placeholders of their declared outputs.
 */
import { z } from "zod";
import { defineBlock, imageInputSelector, literalOrSelector, selector, stepSelector, terminateBranch, type BlockPlugin } from "../../../src/block-api/index.js";
import { createRegistry } from "../../../src/index.js";

/** Upstream's `images: Union[WorkflowImageSelector, StepOutputImageSelector] = ImageInputField` (alias `image`). */
const images = () => z.union([imageInputSelector(), selector(["image"])]);

const exampleModel = defineBlock({
  manifest: {
    type: "ExampleModel",
    name: "Example model",
    family: "test",
    description: "ExampleModelBlockManifest",
    properties: z.object({
      images: images(),
      model_id: literalOrSelector(z.string(), ["roboflow_model_id"]),
      string_value: z.string().nullable().default(null),
    }),
    propertyAliases: { image: "images" },
    outputs: [
      { name: "prediction_type", kinds: ["prediction_type"] },
      { name: "predictions", kinds: ["object_detection_prediction"] },
    ],
  },
  run: () => ({ prediction_type: "object-detection", predictions: [] }),
});

const exampleNonBatchFlowControl = defineBlock({
  manifest: {
    type: "ExampleNonBatchFlowControl",
    name: "Example non-batch flow control",
    family: "test",
    description: "ExampleNonBatchFlowControlBlockManifest",
    properties: z.object({ next_steps: z.array(stepSelector()) }),
    outputs: [],
    flowControl: true,
  },
  run: () => terminateBranch(),
});

const exampleFlowControl = defineBlock({
  manifest: {
    type: "ExampleFlowControl",
    name: "Example flow control",
    family: "test",
    description: "ExampleFlowControlBlockManifest",
    properties: z.object({ a_steps: z.array(stepSelector()), b_steps: z.array(stepSelector()) }),
    outputs: [],
    flowControl: true,
  },
  run: () => terminateBranch(),
});

const exampleTransformation = defineBlock({
  manifest: {
    type: "ExampleTransformation",
    name: "Example transformation",
    family: "test",
    description: "ExampleTransformationBlockManifest",
    properties: z.object({ images: images(), predictions: selector(["object_detection_prediction"]) }),
    propertyAliases: { image: "images" },
    outputs: [
      { name: "image", kinds: ["image"] },
      { name: "predictions", kinds: ["object_detection_prediction"] },
    ],
  },
  run: ({ images, predictions }) => ({ image: images, predictions }),
});

const exampleFusion = defineBlock({
  manifest: {
    type: "ExampleFusion",
    name: "Example fusion",
    family: "test",
    description: "ExampleFusionBlockManifest",
    properties: z.object({ predictions: z.array(selector(["object_detection_prediction"])) }),
    outputs: [{ name: "predictions", kinds: ["object_detection_prediction"] }],
  },
  run: ({ predictions }) => ({ predictions: predictions.flat() }),
});

export const upstreamTestBlocks: BlockPlugin = (registry) => {
  registry.register(exampleModel, exampleNonBatchFlowControl, exampleFlowControl, exampleTransformation, exampleFusion);
};

export const upstreamTestRegistry = createRegistry(upstreamTestBlocks);
