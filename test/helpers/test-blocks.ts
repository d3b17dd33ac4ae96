/**
 * Small blocks for exercising the engine's semantics (layers, lineage, skipping, state),
 * registered through the same plugin API third parties use.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selectSteps, selector, stepSelector, terminateBranch, type BlockPlugin } from "../../src/block-api/index.js";
import { createRegistry } from "../../src/index.js";

export const trace: string[] = [];

const add = defineBlock({
  manifest: {
    type: "test/add@v1",
    name: "Add",
    family: "test",
    description: "a + b",
    properties: z.object({ a: literalOrSelector(z.number(), ["integer", "float"]), b: literalOrSelector(z.number(), ["integer", "float"]) }),
    outputs: [{ name: "sum", kinds: ["float"] }],
  },
  run({ a, b }) {
    return { sum: a + b };
  },
});

const asyncEcho = defineBlock({
  manifest: {
    type: "test/async_echo@v1",
    name: "Async echo",
    family: "test",
    description: "Echoes after a macrotask; records start/end in `trace`.",
    properties: z.object({ value: selector(), label: z.string() }),
    outputs: [{ name: "value", kinds: ["*"] }],
  },
  async run({ value, label }) {
    trace.push(`start ${label}`);
    await new Promise((resolve) => setImmediate(resolve));
    trace.push(`end ${label}`);
    return { value };
  },
});

const counter = defineBlock({
  manifest: {
    type: "test/counter@v1",
    name: "Counter",
    family: "test",
    description: "Counts the calls it has seen in its stream.",
    properties: z.object({ tick: selector() }),
    outputs: [
      { name: "count", kinds: ["integer"] },
      { name: "stream", kinds: ["string"] },
    ],
  },
  state: { schema: z.strictObject({ count: z.int().min(0) }), initial: () => ({ count: 0 }) },
  run(_inputs, ctx) {
    ctx.state.count += 1;
    return { count: ctx.state.count, stream: ctx.stream };
  },
});

const gate = defineBlock({
  manifest: {
    type: "test/gate@v1",
    name: "Gate",
    family: "test",
    description: "Selects next_steps when `open` is truthy.",
    properties: z.object({ open: selector(), next_steps: z.array(stepSelector()) }),
    outputs: [],
    flowControl: true,
  },
  run({ open, next_steps }) {
    return open ? selectSteps(next_steps) : terminateBranch();
  },
});

const fail = defineBlock({
  manifest: {
    type: "test/fail@v1",
    name: "Fail",
    family: "test",
    description: "Throws when `value` equals `bad`.",
    properties: z.object({ value: selector(), bad: z.unknown() }),
    outputs: [{ name: "value", kinds: ["*"] }],
  },
  run({ value, bad }) {
    if (value === bad) throw new Error(`bad value ${String(value)}`);
    return { value };
  },
});

const wrongOutputs = defineBlock({
  manifest: {
    type: "test/wrong_outputs@v1",
    name: "Wrong outputs",
    family: "test",
    description: "Breaks the output contract.",
    properties: z.object({ value: selector() }),
    outputs: [{ name: "expected", kinds: ["*"] }],
  },
  run() {
    return { unexpected: 1 } as unknown as { expected: unknown };
  },
});

const batchSum = defineBlock({
  manifest: {
    type: "test/batch_double@v1",
    name: "Batch double",
    family: "test",
    description: "Doubles numbers; counts how often runBatch is called.",
    properties: z.object({ value: selector(["float", "integer"]) }),
    outputs: [{ name: "doubled", kinds: ["float"] }],
  },
  runBatch(inputs) {
    trace.push(`batch of ${inputs.length}`);
    return inputs.map(({ value }) => ({ doubled: value * 2 }));
  },
});

export const testBlocks: BlockPlugin = (registry) => {
  registry.register(add, asyncEcho, counter, gate, fail, wrongOutputs, batchSum);
};

export const testRegistry = createRegistry(testBlocks);

/** A definition with the given pieces and `version: "1.0"`. */
export function workflow(parts: { inputs?: unknown[]; steps?: unknown[]; outputs?: unknown[] }): Record<string, unknown> {
  return { version: "1.0", inputs: parts.inputs ?? [], steps: parts.steps ?? [], outputs: parts.outputs ?? [] };
}

export function output(name: string, selectorText: string): Record<string, unknown> {
  return { type: "JsonField", name, selector: selectorText };
}
