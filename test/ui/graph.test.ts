/**
 * The editor's pure model, in node: definition ↔ graph, connecting and editing, the block
 * schemas read into form fields, and the JSON error locator — against the real block catalogue
 * (as `/workflows/blocks/describe` serves it) and the bundled examples.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeBlocks, type BlocksDescription } from "../../src/describe/index.js";
import { getDefaultRegistry } from "../../src/index.js";
import { catalogueFrom, searchBlocks } from "../../src/ui/editor/catalogue.js";
import { parseSelector } from "../../src/definition/selectors.js";
import { readDefinition, type WorkflowDefinition } from "../../src/ui/editor/definition.js";
import {
  addInput,
  addOutput,
  addStep,
  connect,
  deleteElements,
  disconnect,
  removeNode,
  renameInput,
  renameStep,
  setStepProperty,
  uniqueName,
} from "../../src/ui/editor/editing.js";
import { availableSelectors, buildGraph, connectionProblem, stepReferences } from "../../src/ui/editor/graph.js";
import { freeSpot, layoutGraph, LAYOUT, wrapLayers, type Rect } from "../../src/ui/editor/layout.js";
import { amend, record, redo, startHistory, undo } from "../../src/ui/editor/history.js";
import { locateJsonError } from "../../src/ui/editor/json-text.js";
import { propertyModels, type JsonSchema } from "../../src/ui/editor/schema.js";

// Through JSON, exactly as the browser receives it.
const catalogue = catalogueFrom(JSON.parse(JSON.stringify(describeBlocks(getDefaultRegistry()))) as BlocksDescription);
const example = (name: string) => {
  const read = readDefinition(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../examples", `${name}.json`), "utf8")));
  if (!("definition" in read)) throw new Error(read.problem);
  return read.definition;
};

const BASE: WorkflowDefinition = {
  version: "1.0",
  inputs: [
    { type: "WorkflowImage", name: "image" },
    { type: "WorkflowParameter", name: "threshold", default_value: 0.1 },
  ],
  steps: [
    { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.clip.embedding" },
    { type: "roboflow_core/grid_visualization@v1", name: "grid", images: ["$inputs.image"] },
  ],
  outputs: [{ type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" }],
};

function properties(type: string) {
  const block = catalogue.byType.get(type);
  if (!block) throw new Error(`no block ${type}`);
  return Object.fromEntries(block.properties.map((property) => [property.name, property]));
}

describe("block schemas → form fields", () => {
  it("reads selector slots with their kinds and containers, and the literal alternative", () => {
    const clip = properties("roboflow_core/clip@v1");
    expect(clip.data.slots).toEqual([{ element: "data", kinds: ["image", "string"], container: "single" }]);
    expect(clip.data.literal).toEqual({ type: "string" });
    expect(clip.data.required).toBe(true);
    expect(clip.version.literal).toMatchObject({ type: "enum" });
    expect((clip.version.literal as { options: string[] }).options).toContain("ViT-B-32");
    expect(clip.version.defaultValue).toBe("ViT-B-32");

    const grid = properties("roboflow_core/grid_visualization@v1");
    expect(grid.images.slots).toEqual([{ element: "data", kinds: ["image", "list_of_values"], container: "list" }]);
    expect(grid.images.literal).toBeNull();
    expect(grid.width.literal).toEqual({ type: "number", integer: true, minimum: 0 });

    const outliers = properties("roboflow_core/identify_outliers@v1");
    expect(outliers.embedding).toMatchObject({ literal: null, slots: [{ kinds: ["embedding"], container: "single" }] });
    expect(outliers.window_size.literal).toEqual({ type: "number", integer: true });
    expect(outliers.threshold_percentile.literal).toEqual({ type: "number", integer: false });
  });

  it("treats flow-control selectors, maps of selectors and nested structures as such", () => {
    const continueIf = properties("roboflow_core/continue_if@v1");
    expect(continueIf.next_steps.slots).toEqual([{ element: "step", kinds: [], container: "list" }]);
    expect(continueIf.evaluation_parameters.slots).toEqual([{ element: "data", kinds: ["*"], container: "dict" }]);
    expect(continueIf.condition_statement.literal).toEqual({ type: "json" });
    const comparison = properties("roboflow_core/clip_comparison@v2");
    expect(comparison.classes.literal).toEqual({ type: "string-list" });
  });

  it("resolves $refs and drops null alternatives", () => {
    const schema: JsonSchema = {
      $defs: { level: { type: "string", enum: ["low", "high"] } },
      properties: { type: {}, name: {}, level: { anyOf: [{ $ref: "#/$defs/level" }, { type: "null" }], description: "how much" } },
      required: [],
    };
    expect(propertyModels(schema)).toEqual([
      { name: "level", description: "how much", required: false, slots: [], literal: { type: "enum", options: ["low", "high"] } },
    ]);
  });
});

describe("catalogue search", () => {
  it("groups matches by family, alphabetically, matching every word anywhere", () => {
    const families = searchBlocks(catalogue, "identify outliers");
    expect(families.map((family) => family.family)).toEqual(["sampling"]);
    expect(families[0].blocks.map((block) => block.type)).toContain("roboflow_core/identify_outliers@v1");
    expect(searchBlocks(catalogue, "CLIP embedding")[0].blocks.map((block) => block.title)).toEqual(["CLIP Embedding Model"]);
    const all = searchBlocks(catalogue, "");
    expect(all.map((family) => family.family)).toEqual([...all.map((family) => family.family)].sort());
    expect(all.flatMap((family) => family.blocks)).toHaveLength(catalogue.blocks.length);
    expect(searchBlocks(catalogue, "no such block anywhere")).toEqual([]);
  });
});

describe("definition → graph", () => {
  it("makes a node per input, step and output and an edge per selector", () => {
    const graph = buildGraph(BASE, catalogue);
    expect(graph.nodes.map((node) => node.id)).toEqual(["input:image", "input:threshold", "step:clip", "step:outliers", "step:grid", "output:is_outlier"]);
    expect(graph.edges).toEqual([
      {
        id: "data:clip:data",
        source: "input:image",
        sourceHandle: "out",
        target: "step:clip",
        targetHandle: "in:data",
        data: { kind: "data", step: "clip", property: "data", path: [] },
      },
      {
        id: "data:outliers:embedding",
        source: "step:clip",
        sourceHandle: "out:embedding",
        target: "step:outliers",
        targetHandle: "in:embedding",
        data: { kind: "data", step: "outliers", property: "embedding", path: [] },
      },
      {
        id: "data:grid:images.0",
        source: "input:image",
        sourceHandle: "out",
        target: "step:grid",
        targetHandle: "in:images",
        data: { kind: "data", step: "grid", property: "images", path: [0] },
      },
      {
        id: "output:is_outlier",
        source: "step:outliers",
        sourceHandle: "out:is_outlier",
        target: "output:is_outlier",
        targetHandle: "in",
        data: { kind: "output", output: "is_outlier" },
      },
    ]);
    const outliers = graph.nodes.find((node) => node.id === "step:outliers")!.data;
    expect(outliers).toMatchObject({ kind: "step", known: true, title: "Identify Outliers", family: "sampling", flows: [] });
    if (outliers.kind !== "step") throw new Error("not a step");
    expect(outliers.targets.map((target) => target.property)).toEqual(["embedding", "threshold_percentile", "warmup", "window_size"]);
    expect(outliers.sources.map((source) => source.output)).toEqual(["is_outlier", "percentile", "warming_up"]);
  });

  it("draws the bundled example with flow-control edges and selectors inside maps and lists", () => {
    const definition = example("outlier-frames");
    const graph = buildGraph(definition, catalogue);
    expect(graph.nodes.filter((node) => node.type === "step")).toHaveLength(definition.steps.length);
    const byId = new Map(graph.edges.map((edge) => [edge.id, edge]));
    expect(byId.get("flow:sample:next_steps.0")).toMatchObject({
      source: "step:sample",
      sourceHandle: "flow:next_steps",
      target: "step:embedding",
      targetHandle: "step",
    });
    expect(byId.get("flow:only_outliers:next_steps.0")).toMatchObject({ source: "step:only_outliers", target: "step:collect" });
    expect(byId.get("data:only_outliers:evaluation_parameters.flag")).toMatchObject({
      source: "step:outliers",
      sourceHandle: "out:is_outlier",
      targetHandle: "in:evaluation_parameters",
    });
    expect(byId.get("data:grid:images.0")).toMatchObject({ source: "step:prepend", sourceHandle: "out:frames" });
    // PrependCurrentFrame is a dynamic block the plain catalogue does not know: its handles come from the selectors used.
    const prepend = graph.nodes.find((node) => node.id === "step:prepend")!.data;
    expect(prepend).toMatchObject({ kind: "step", known: false });
    if (prepend.kind !== "step") throw new Error("not a step");
    expect(prepend.targets.map((target) => [target.property, target.kinds])).toEqual([
      ["frame", ["*"]],
      ["fresh", ["*"]],
      ["cached", ["*"]],
    ]);
    expect(prepend.sources).toEqual([{ output: "frames", kinds: ["*"] }]);
    expect(graph.edges.filter((edge) => edge.data.kind === "output")).toHaveLength(definition.outputs.length);
  });

  it("skips selectors naming nothing (validation reports them) and finds every selector of a step", () => {
    const definition = setStepProperty(BASE, "outliers", "embedding", "$steps.missing.embedding");
    expect(buildGraph(definition, catalogue).edges.map((edge) => edge.id)).not.toContain("data:outliers:embedding");
    expect(stepReferences({ type: "x", name: "s", a: ["$inputs.a", 3, { deep: "$steps.b.c" }], b: "$steps.c", c: "plain text" })).toEqual([
      { property: "a", path: [0], selector: { type: "input", input: "a" } },
      { property: "a", path: [2, "deep"], selector: { type: "output", step: "b", output: "c" } },
      { property: "b", path: [], selector: { type: "step", step: "c" } },
    ]);
    expect(parseSelector("$steps.a.*")).toEqual({ type: "output", step: "a", output: "*" });
    expect(parseSelector("$inputs.")).toBeNull();
  });

  it("lays nodes out in columns by dependency depth, rows in definition order", () => {
    const positions = layoutGraph(buildGraph(BASE, catalogue));
    const { columnWidth: w, rowHeight: h } = LAYOUT;
    expect(Object.fromEntries(positions)).toEqual({
      "input:image": { x: 0, y: 0 },
      "input:threshold": { x: 0, y: h },
      "step:clip": { x: w, y: 0 },
      "step:outliers": { x: 2 * w, y: 0 },
      "step:grid": { x: w, y: h },
      "output:is_outlier": { x: 3 * w, y: 0 },
    });
  });
});

describe("auto-layout and free space", () => {
  // A chain of eight 100 × 50 layers, 40 apart: 1080 × 50 in one row.
  const chain = new Map<string, Rect>(Array.from({ length: 8 }, (_, index) => [`n${index}`, { x: index * 140, y: 0, width: 100, height: 50 }]));

  it("keeps a chain in one row for a wide canvas and wraps it into rows of consecutive layers for a squarer one", () => {
    expect(new Set([...wrapLayers(chain, 30).values()].map((position) => position.y))).toEqual(new Set([0]));
    const wrapped = wrapLayers(chain, 1.5);
    const rows = [...new Set([...wrapped.values()].map((position) => position.y))].sort((a, b) => a - b);
    expect(rows.length).toBeGreaterThan(1);
    // Row by row, left to right, the definition's order of layers is kept.
    const order = [...wrapped].sort(([, a], [, b]) => a.y - b.y || a.x - b.x).map(([id]) => id);
    expect(order).toEqual([...chain.keys()]);
  });

  it("finds a spot in view clear of nodes and overlays, else right of everything", () => {
    const view = { x: 0, y: 0, width: 600, height: 400 };
    const occupied = [{ x: 0, y: 0, width: 300, height: 400 }];
    const minimap = { x: 400, y: 250, width: 200, height: 150 };
    const { position, inView } = freeSpot(occupied, [minimap], view, { width: 150, height: 100 });
    expect(inView).toBe(true);
    const placed = { ...position, width: 150, height: 100 };
    expect(placed.x).toBeGreaterThanOrEqual(300);
    expect(placed.y + placed.height <= minimap.y || placed.x + placed.width <= minimap.x).toBe(true);
    expect(freeSpot([{ x: 0, y: 0, width: 600, height: 400 }], [], view, { width: 150, height: 100 })).toEqual({ position: { x: 640, y: 20 }, inView: false });
  });

  it("undoes and redoes recorded snapshots; amendments belong to the snapshot they amend", () => {
    let history = record(startHistory("a"), "b");
    history = amend(history, "b+placed");
    history = record(history, "c");
    expect(undo(history).present).toBe("b+placed");
    expect(undo(undo(history)).present).toBe("a");
    expect(undo(undo(undo(history))).present).toBe("a");
    expect(redo(undo(undo(history))).present).toBe("b+placed");
    // A new edit after undoing drops what could be redone.
    expect(record(undo(history), "d").future).toEqual([]);
  });
});

describe("connecting", () => {
  const empty: WorkflowDefinition = { ...BASE, steps: BASE.steps.map((step) => ({ type: step.type, name: step.name })), outputs: [] };

  it("writes the selector into the property: value, list item or map entry", () => {
    let definition = connect(empty, catalogue, { source: "input:image", sourceHandle: "out", target: "step:clip", targetHandle: "in:data" });
    definition = connect(definition, catalogue, { source: "step:clip", sourceHandle: "out:embedding", target: "step:outliers", targetHandle: "in:embedding" });
    definition = connect(definition, catalogue, { source: "input:image", sourceHandle: "out", target: "step:grid", targetHandle: "in:images" });
    definition = connect(definition, catalogue, { source: "input:threshold", sourceHandle: "out", target: "step:grid", targetHandle: "in:images" });
    expect(definition.steps).toEqual([
      { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
      { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.clip.embedding" },
      { type: "roboflow_core/grid_visualization@v1", name: "grid", images: ["$inputs.image", "$inputs.threshold"] },
    ]);
    const withExpression = {
      ...definition,
      steps: [...definition.steps, { type: "roboflow_core/expression@v1", name: "expr", data: { percentile: "$inputs.x" } }],
    };
    const mapped = connect(withExpression, catalogue, {
      source: "step:outliers",
      sourceHandle: "out:percentile",
      target: "step:expr",
      targetHandle: "in:data",
    });
    expect(mapped.steps[3].data).toEqual({ percentile: "$inputs.x", percentile_2: "$steps.outliers.percentile" });
  });

  it("refuses kinds that do not match, with the reason", () => {
    const graph = buildGraph(empty, catalogue);
    const wrong = { source: "input:image", sourceHandle: "out", target: "step:outliers", targetHandle: "in:embedding" };
    expect(connectionProblem(graph, wrong)).toBe('"embedding" accepts [embedding], not [image].');
    expect(connect(empty, catalogue, wrong)).toBe(empty);
    // A parameter's kind is `*`: it fits anywhere.
    expect(connectionProblem(graph, { ...wrong, source: "input:threshold" })).toBeNull();
    expect(connectionProblem(graph, { source: "step:clip", sourceHandle: "out:embedding", target: "step:clip", targetHandle: "in:data" })).toBe(
      "A step cannot feed itself.",
    );
    expect(connectionProblem(graph, { source: "step:clip", sourceHandle: "out:embedding", target: "step:grid", targetHandle: "step" })).toMatch(
      /Only flow-control/,
    );
  });

  it("connects outputs and flow control", () => {
    const withOutput = addOutput(empty, "percentile").definition;
    const connected = connect(withOutput, catalogue, {
      source: "step:outliers",
      sourceHandle: "out:percentile",
      target: "output:percentile",
      targetHandle: "in",
    });
    expect(connected.outputs).toEqual([{ type: "JsonField", name: "percentile", selector: "$steps.outliers.percentile" }]);
    const gate = { ...empty, steps: [...empty.steps, { type: "roboflow_core/continue_if@v1", name: "gate" }] };
    const flowing = connect(gate, catalogue, { source: "step:gate", sourceHandle: "flow:next_steps", target: "step:grid", targetHandle: "step" });
    expect(flowing.steps[3]).toEqual({ type: "roboflow_core/continue_if@v1", name: "gate", next_steps: ["$steps.grid"] });
    expect(buildGraph(flowing, catalogue).edges).toContainEqual(
      expect.objectContaining({ id: "flow:gate:next_steps.0", source: "step:gate", target: "step:grid" }),
    );
  });

  it("disconnects one list item, and several at once without shifting the others", () => {
    const three = setStepProperty(BASE, "grid", "images", ["$inputs.image", "$inputs.threshold", "$steps.clip.embedding"]);
    const graph = buildGraph(three, catalogue);
    expect(disconnect(three, { kind: "data", step: "grid", property: "images", path: [1] }).steps[2].images).toEqual([
      "$inputs.image",
      "$steps.clip.embedding",
    ]);
    const first = graph.edges.find((edge) => edge.id === "data:grid:images.0")!;
    const second = graph.edges.find((edge) => edge.id === "data:grid:images.1")!;
    expect(deleteElements(three, [], [first, second]).steps[2].images).toEqual(["$steps.clip.embedding"]);
    expect(disconnect(BASE, { kind: "data", step: "clip", property: "data", path: [] }).steps[0]).toEqual({ type: "roboflow_core/clip@v1", name: "clip" });
    expect(disconnect(BASE, { kind: "output", output: "is_outlier" }).outputs[0].selector).toBe("");
  });
});

describe("editing", () => {
  it("renames steps and inputs everywhere they are named", () => {
    const renamed = renameInput(renameStep(BASE, "clip", "embedder"), "image", "frame");
    expect(renamed.steps[0]).toEqual({ type: "roboflow_core/clip@v1", name: "embedder", data: "$inputs.frame" });
    expect(renamed.steps[1].embedding).toBe("$steps.embedder.embedding");
    expect(renamed.steps[2].images).toEqual(["$inputs.frame"]);
    expect(renamed.inputs[0].name).toBe("frame");
    const flow = renameStep(
      { ...BASE, steps: [...BASE.steps, { type: "roboflow_core/continue_if@v1", name: "gate", next_steps: ["$steps.grid"] }] },
      "grid",
      "mosaic",
    );
    expect(flow.steps[3].next_steps).toEqual(["$steps.mosaic"]);
  });

  it("removes nodes with the selectors naming them", () => {
    const withoutImage = removeNode(BASE, "input:image");
    expect(withoutImage.inputs.map((input) => input.name)).toEqual(["threshold"]);
    expect(withoutImage.steps[0]).toEqual({ type: "roboflow_core/clip@v1", name: "clip" });
    expect(withoutImage.steps[2].images).toEqual([]);
    const withoutOutliers = removeNode(BASE, "step:outliers");
    expect(withoutOutliers.steps.map((step) => step.name)).toEqual(["clip", "grid"]);
    expect(withoutOutliers.outputs).toEqual([{ type: "JsonField", name: "is_outlier", selector: "" }]);
    expect(removeNode(BASE, "output:is_outlier").outputs).toEqual([]);
  });

  it("names new steps, inputs and outputs uniquely", () => {
    const once = addStep(BASE, { type: "roboflow_core/clip@v1" });
    expect(once.name).toBe("clip_2");
    expect(addStep(once.definition, { type: "roboflow_core/clip@v1" }).name).toBe("clip_3");
    expect(addStep(BASE, { type: "PrependCurrentFrame" }).name).toBe("PrependCurrentFrame");
    expect(addInput(BASE, "WorkflowImage", "image").definition.inputs[2]).toEqual({ type: "WorkflowImage", name: "image_2" });
    expect(addInput(BASE, "WorkflowParameter", "p").definition.inputs[2]).toEqual({ type: "WorkflowParameter", name: "p", default_value: null });
    expect(uniqueName("my step!", [])).toBe("my_step");
    expect(uniqueName("***", [])).toBe("step");
  });

  it("offers every input and step output as a selector, with kinds", () => {
    expect(availableSelectors(BASE, catalogue).slice(0, 4)).toEqual([
      { selector: "$inputs.image", kinds: ["image"] },
      { selector: "$inputs.threshold", kinds: ["*"] },
      { selector: "$steps.clip.embedding", kinds: ["embedding"] },
      { selector: "$steps.outliers.is_outlier", kinds: ["boolean"] },
    ]);
  });

  it("accepts documents that can be edited, and says why others cannot", () => {
    expect(readDefinition([])).toEqual({ problem: "A workflow definition is a JSON object with version, inputs, steps and outputs." });
    expect(readDefinition({ steps: {} })).toEqual({ problem: '"steps" must be a list.' });
    expect(readDefinition({ steps: [{ type: "x" }] })).toEqual({ problem: 'steps[0] needs a "type" and a "name" (strings).' });
    expect(readDefinition({ outputs: [{ type: "JsonField", name: "o", selector: 3 }] })).toEqual({ problem: "outputs[0].selector must be a string." });
    expect(readDefinition({ steps: [] })).toEqual({ definition: { version: "1.0", inputs: [], steps: [], outputs: [] } });
  });
});

describe("JSON error locator", () => {
  it("names the line, column and what was expected", () => {
    expect(locateJsonError('{\n  "a": 1,\n  "b" 2\n}')).toEqual({ offset: 18, line: 3, column: 7, message: 'Unexpected "2"; expected ":".' });
    expect(locateJsonError('{"a": [1, 2,]}')).toMatchObject({ line: 1, column: 13, message: 'Unexpected "]"; expected a value.' });
    expect(locateJsonError('{"a": 1')).toMatchObject({ offset: 7, message: 'Unexpected the end of the text; expected "," or "}".' });
    expect(locateJsonError('{"a": "x\ny"}')).toMatchObject({ line: 1, column: 9, message: expect.stringMatching(/Control character/) });
    expect(locateJsonError("{'a': 1}")).toMatchObject({ column: 2, message: expect.stringMatching(/double quotes/) });
    expect(locateJsonError("[1] 2")).toMatchObject({ column: 5, message: 'Unexpected "2" after the end of the document.' });
    expect(locateJsonError(' {"a": [true, false, null, -1.5e3, "\\u00e9\\n"]} ')).toBeNull();
  });

  it("agrees with JSON.parse on what is valid", () => {
    const parses = (text: string) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.json(), (text) => locateJsonError(text) === null),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom("", ",", "}", "]", '"', ":", "x", " ", "\n", "-", "0", "{", "["), (text, at, insert) => {
        const position = at % (text.length + 1);
        const mutated = text.slice(0, position) + insert + text.slice(position + (insert === "" ? 1 : 0));
        return (locateJsonError(mutated) === null) === parses(mutated);
      }),
      { numRuns: 1000 },
    );
  });
});
