/**
 * `POST /workflows/describe_interface` (docs/reference/http.md#post-workflowsdescribe_interface):
 * what a workflow takes and gives, by kind, so a client can build its request and read the answer
 * without knowing the blocks. Outputs that select a whole step (`$steps.x.*`) are described field
 * by field, as upstream does.
 */
import type { CompiledWorkflow } from "../compiler/index.js";
import { getKind } from "../kinds/index.js";

export interface WorkflowInterface {
  inputs: Record<string, string[]>;
  outputs: Record<string, string[] | Record<string, string[]>>;
  /** Kind → the type its values have on the wire. */
  typing_hints: Record<string, string>;
  /** Kind → JSON Schema of its wire form, for kinds with a structured one. */
  kinds_schemas: Record<string, unknown>;
}

const VIDEO_METADATA_SCHEMA = {
  type: "object",
  properties: {
    video_identifier: { type: "string" },
    frame_number: { type: "integer" },
    frame_timestamp: { type: "string", format: "date-time" },
    fps: { type: ["number", "null"] },
    measured_fps: { type: ["number", "null"] },
    comes_from_video_file: { type: ["boolean", "null"] },
  },
  required: ["video_identifier", "frame_number"],
} as const;

const KIND_SCHEMAS: Readonly<Record<string, unknown>> = {
  image: {
    type: "object",
    description: "An image: base64 (JPEG/PNG/…) or an http(s) URL. The HTTP server never reads its own files.",
    properties: {
      type: { type: "string", enum: ["base64", "url"] },
      value: { type: "string" },
      video_metadata: VIDEO_METADATA_SCHEMA,
    },
    required: ["type", "value"],
  },
  video_metadata: VIDEO_METADATA_SCHEMA,
  embedding: { type: "array", items: { type: "number" } },
};

export function describeWorkflowInterface(plan: CompiledWorkflow): WorkflowInterface {
  const inputs = Object.fromEntries(plan.inputs.map((input) => [input.name, [...input.kinds]]));
  const outputs: WorkflowInterface["outputs"] = {};
  for (const output of plan.outputs) {
    const { source } = output;
    if (source.from === "step" && source.output === "*") {
      const step = plan.stepsByName.get(source.step);
      outputs[output.name] = Object.fromEntries((step?.block.manifest.outputs ?? []).map((field) => [field.name, [...field.kinds]]));
    } else {
      outputs[output.name] = [...output.kinds];
    }
  }
  const kinds = new Set<string>();
  for (const names of Object.values(inputs)) for (const name of names) kinds.add(name);
  for (const value of Object.values(outputs)) {
    for (const names of Array.isArray(value) ? [value] : Object.values(value)) for (const name of names) kinds.add(name);
  }
  const typing_hints: Record<string, string> = {};
  const kinds_schemas: Record<string, unknown> = {};
  for (const name of kinds) {
    typing_hints[name] = getKind(name)?.serialised_data_type ?? "Any";
    if (KIND_SCHEMAS[name] !== undefined) kinds_schemas[name] = KIND_SCHEMAS[name];
  }
  return { inputs, outputs, typing_hints, kinds_schemas };
}
