/**
 * A workflow definition ↔ the editor's graph, as pure functions (React Flow only draws the
 * result):
 *
 * - nodes: one per input (`input:<name>`), step (`step:<name>`) and output (`output:<name>`);
 * - handles: an input's value (`out`); a step's outputs (`out:<output>`), its selector
 *   properties (`in:<property>`), its flow-control properties (`flow:<property>`, e.g.
 *   `next_steps`) and itself as a flow target (`step`); an output's selector (`in`);
 * - edges: every selector in the definition — `$inputs.x` / `$steps.x.y` inside step properties
 *   (also inside lists and maps) and in outputs, and `$steps.x` in flow-control properties
 *   (drawn dashed).
 *
 * Editing goes the other way: connecting a handle writes the selector into the definition,
 * deleting an edge removes it, renaming a step or an input rewrites every selector that names it.
 * The definition stays the single source of truth; nothing here mutates its arguments.
 */
import { kindsCompatible } from "../../kinds/compatibility.js";
import type { BlockInfo, Catalogue } from "./catalogue.js";
import { acceptedKinds } from "./schema.js";
import { isJsonObject } from "../../definition/json.js";

export type KindEntry = string | { name: string };

export interface InputDefinition {
  type: string;
  name: string;
  kind?: KindEntry[];
  default_value?: unknown;
  [key: string]: unknown;
}

export interface StepDefinition {
  type: string;
  name: string;
  [property: string]: unknown;
}

export interface OutputDefinition {
  type: string;
  name: string;
  selector: string;
  [key: string]: unknown;
}

export interface WorkflowDefinition {
  version: string;
  inputs: InputDefinition[];
  steps: StepDefinition[];
  outputs: OutputDefinition[];
  [key: string]: unknown;
}

export const EMPTY_DEFINITION: WorkflowDefinition = { version: "1.0", inputs: [], steps: [], outputs: [] };

// ---- selectors ------------------------------------------------------------------------------

export type Selector = { type: "input"; input: string } | { type: "output"; step: string; output: string } | { type: "step"; step: string };

const SELECTOR = /^\$(?:inputs\.([A-Za-z_0-9-]+)|steps\.([A-Za-z_0-9-]+)(?:\.([A-Za-z_*0-9-]+))?)$/;

export function parseSelector(value: unknown): Selector | null {
  if (typeof value !== "string") return null;
  const match = SELECTOR.exec(value);
  if (!match) return null;
  if (match[1] !== undefined) return { type: "input", input: match[1] };
  if (match[3] !== undefined) return { type: "output", step: match[2], output: match[3] };
  return { type: "step", step: match[2] };
}

export function formatSelector(selector: Selector): string {
  switch (selector.type) {
    case "input":
      return `$inputs.${selector.input}`;
    case "output":
      return `$steps.${selector.step}.${selector.output}`;
    case "step":
      return `$steps.${selector.step}`;
  }
}

export type PathKey = string | number;

/** A selector found in a step: the property, where inside it (list index, map key), and the selector. */
export interface StepReference {
  property: string;
  path: PathKey[];
  selector: Selector;
}

function collect(value: unknown, property: string, path: PathKey[], into: StepReference[]): void {
  const selector = parseSelector(value);
  if (selector) into.push({ property, path, selector });
  else if (Array.isArray(value)) value.forEach((item, index) => collect(item, property, [...path, index], into));
  else if (isJsonObject(value)) for (const [key, item] of Object.entries(value)) collect(item, property, [...path, key], into);
}

/** Every selector in a step's properties, in property order. */
export function stepReferences(step: StepDefinition): StepReference[] {
  const references: StepReference[] = [];
  for (const [property, value] of Object.entries(step)) if (property !== "type" && property !== "name") collect(value, property, [], references);
  return references;
}

// ---- kinds ----------------------------------------------------------------------------------

const DEFAULT_INPUT_KINDS: Record<string, string[]> = {
  WorkflowImage: ["image"],
  InferenceImage: ["image"],
  WorkflowVideoMetadata: ["video_metadata"],
};

export function inputKinds(input: InputDefinition): string[] {
  if (Array.isArray(input.kind) && input.kind.length > 0) return input.kind.map((kind) => (typeof kind === "string" ? kind : kind.name));
  return DEFAULT_INPUT_KINDS[input.type] ?? ["*"];
}

// ---- graph ----------------------------------------------------------------------------------

export interface TargetPort {
  property: string;
  /** Kinds accepted; `["*"]` when the block is unknown. */
  kinds: string[];
  required: boolean;
}

export interface SourcePort {
  output: string;
  kinds: string[];
}

export type NodeData =
  | { kind: "input"; name: string; inputType: string; kinds: string[] }
  | {
      kind: "step";
      name: string;
      blockType: string;
      title: string;
      family: string;
      /** False when the catalogue has no block of this type. */
      known: boolean;
      targets: TargetPort[];
      sources: SourcePort[];
      /** Flow-control properties holding `$steps.x` selectors. */
      flows: string[];
    }
  | { kind: "output"; name: string; selector: string };

export interface GraphNode {
  id: string;
  type: NodeData["kind"];
  data: NodeData;
}

export type EdgeData =
  | { kind: "data"; step: string; property: string; path: PathKey[] }
  | { kind: "flow"; step: string; property: string; path: PathKey[] }
  | { kind: "output"; output: string };

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  data: EdgeData;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const inputNodeId = (name: string) => `input:${name}`;
export const stepNodeId = (name: string) => `step:${name}`;
export const outputNodeId = (name: string) => `output:${name}`;

/** The node and handle a data selector comes from; null for `$steps.x` (flow) selectors. */
function sourceOf(selector: Selector): { node: string; handle: string } | null {
  if (selector.type === "input") return { node: inputNodeId(selector.input), handle: "out" };
  if (selector.type === "output") return { node: stepNodeId(selector.step), handle: `out:${selector.output}` };
  return null;
}

function stepNodeData(step: StepDefinition, block: BlockInfo | undefined, references: StepReference[]): NodeData {
  const targets: TargetPort[] = [];
  const flows: string[] = [];
  for (const property of block?.properties ?? []) {
    const kinds = acceptedKinds(property);
    if (kinds) targets.push({ property: property.name, kinds, required: property.required });
    if (property.slots.some((slot) => slot.element === "step")) flows.push(property.name);
  }
  const sources: SourcePort[] = (block?.outputs ?? []).map((output) => ({ output: output.name, kinds: output.kinds }));
  // Selectors the catalogue does not explain (unknown block, `$steps.x.*`) still get handles, so every edge can be drawn.
  for (const reference of references) {
    if (reference.selector.type === "step") {
      if (!flows.includes(reference.property)) flows.push(reference.property);
    } else if (!targets.some((target) => target.property === reference.property)) {
      targets.push({ property: reference.property, kinds: ["*"], required: false });
    }
  }
  return {
    kind: "step",
    name: step.name,
    blockType: step.type,
    title: block?.title ?? step.type,
    family: block?.family ?? "unknown",
    known: block !== undefined,
    targets,
    sources,
    flows,
  };
}

/** Adds output handles that selectors elsewhere use but the block does not declare (`*`, unknown blocks). */
function addReferencedOutputs(nodes: Map<string, GraphNode>, selector: Selector): void {
  if (selector.type !== "output") return;
  const node = nodes.get(stepNodeId(selector.step));
  if (node?.data.kind !== "step") return;
  if (!node.data.sources.some((source) => source.output === selector.output)) node.data.sources.push({ output: selector.output, kinds: ["*"] });
}

export function buildGraph(definition: WorkflowDefinition, catalogue: Catalogue): Graph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  for (const input of definition.inputs) {
    nodes.set(inputNodeId(input.name), {
      id: inputNodeId(input.name),
      type: "input",
      data: { kind: "input", name: input.name, inputType: input.type, kinds: inputKinds(input) },
    });
  }
  const referencesByStep = new Map(definition.steps.map((step) => [step.name, stepReferences(step)]));
  for (const step of definition.steps) {
    const data = stepNodeData(step, catalogue.byType.get(step.type), referencesByStep.get(step.name) ?? []);
    nodes.set(stepNodeId(step.name), { id: stepNodeId(step.name), type: "step", data });
  }
  for (const output of definition.outputs) {
    nodes.set(outputNodeId(output.name), {
      id: outputNodeId(output.name),
      type: "output",
      data: { kind: "output", name: output.name, selector: output.selector },
    });
  }

  for (const step of definition.steps) {
    const target = stepNodeId(step.name);
    for (const { property, path, selector } of referencesByStep.get(step.name) ?? []) {
      const suffix = [property, ...path].join(".");
      if (selector.type === "step") {
        if (!nodes.has(stepNodeId(selector.step))) continue;
        edges.push({
          id: `flow:${step.name}:${suffix}`,
          source: target,
          sourceHandle: `flow:${property}`,
          target: stepNodeId(selector.step),
          targetHandle: "step",
          data: { kind: "flow", step: step.name, property, path },
        });
        continue;
      }
      const source = sourceOf(selector);
      if (!source || !nodes.has(source.node)) continue;
      addReferencedOutputs(nodes, selector);
      edges.push({
        id: `data:${step.name}:${suffix}`,
        source: source.node,
        sourceHandle: source.handle,
        target,
        targetHandle: `in:${property}`,
        data: { kind: "data", step: step.name, property, path },
      });
    }
  }
  for (const output of definition.outputs) {
    const selector = parseSelector(output.selector);
    const source = selector && sourceOf(selector);
    if (!selector || !source || !nodes.has(source.node)) continue;
    addReferencedOutputs(nodes, selector);
    edges.push({
      id: `output:${output.name}`,
      source: source.node,
      sourceHandle: source.handle,
      target: outputNodeId(output.name),
      targetHandle: "in",
      data: { kind: "output", output: output.name },
    });
  }
  return { nodes: [...nodes.values()], edges };
}

// ---- connecting -----------------------------------------------------------------------------

export interface Connection {
  source: string;
  sourceHandle: string | null;
  target: string;
  targetHandle: string | null;
}

function nodeName(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

/** The selector a source handle stands for. */
export function selectorOfHandle(node: GraphNode, handle: string | null): Selector | null {
  if (node.data.kind === "input" && handle === "out") return { type: "input", input: node.data.name };
  if (node.data.kind === "step" && handle?.startsWith("out:")) return { type: "output", step: node.data.name, output: handle.slice(4) };
  return null;
}

function offeredKinds(node: GraphNode, handle: string | null): string[] {
  if (node.data.kind === "input") return node.data.kinds;
  if (node.data.kind === "step" && handle?.startsWith("out:")) return node.data.sources.find((source) => source.output === handle.slice(4))?.kinds ?? ["*"];
  return [];
}

/** Why a connection cannot be made (a sentence for the user), or null when it can. */
export function connectionProblem(graph: Graph, connection: Connection): string | null {
  const source = graph.nodes.find((node) => node.id === connection.source);
  const target = graph.nodes.find((node) => node.id === connection.target);
  if (!source || !target) return "Unknown node.";
  if (source.id === target.id) return "A step cannot feed itself.";
  if (connection.sourceHandle?.startsWith("flow:")) {
    return target.data.kind === "step" && connection.targetHandle === "step" ? null : "Flow control connects to a step (its top handle).";
  }
  if (connection.targetHandle === "step") return "Only flow-control handles connect to a step's top handle.";
  if (!selectorOfHandle(source, connection.sourceHandle)) return "Connections start at an input or a step output.";
  if (target.data.kind === "output") return connection.targetHandle === "in" ? null : "Unknown output handle.";
  if (target.data.kind !== "step" || !connection.targetHandle?.startsWith("in:")) return "Connections end at a step property or an output.";
  const property = connection.targetHandle.slice(3);
  const port = target.data.targets.find((candidate) => candidate.property === property);
  if (!port) return `Step "${target.data.name}" has no property "${property}".`;
  const offered = offeredKinds(source, connection.sourceHandle);
  if (!kindsCompatible(port.kinds, offered)) return `"${property}" accepts [${port.kinds.join(", ")}], not [${offered.join(", ")}].`;
  return null;
}

function replaceStep(definition: WorkflowDefinition, name: string, update: (step: StepDefinition) => StepDefinition): WorkflowDefinition {
  return { ...definition, steps: definition.steps.map((step) => (step.name === name ? update(step) : step)) };
}

function uniqueKey(existing: Record<string, unknown>, wanted: string): string {
  if (!(wanted in existing)) return wanted;
  let index = 2;
  while (`${wanted}_${index}` in existing) index++;
  return `${wanted}_${index}`;
}

/**
 * Writes `selector` into a step property: appended to a list property, added to a map property
 * (keyed by the selector's last name), or set as the value of a single one.
 */
function plugInto(step: StepDefinition, property: string, selector: Selector, container: "single" | "list" | "dict"): StepDefinition {
  const text = formatSelector(selector);
  const current = step[property];
  if (container === "list") {
    const list = Array.isArray(current) ? current : [];
    return list.includes(text) ? step : { ...step, [property]: [...list, text] };
  }
  if (container === "dict") {
    const map = isJsonObject(current) ? current : {};
    if (Object.values(map).includes(text)) return step;
    const key = selector.type === "input" ? selector.input : selector.type === "output" ? selector.output : selector.step;
    return { ...step, [property]: { ...map, [uniqueKey(map, key)]: text } };
  }
  return { ...step, [property]: text };
}

/** The container a selector goes into for this property: a single value is preferred when the block allows it. */
function containerFor(block: BlockInfo | undefined, property: string, element: "data" | "step", current: unknown): "single" | "list" | "dict" {
  const slots = block?.properties.find((candidate) => candidate.name === property)?.slots.filter((slot) => slot.element === element) ?? [];
  if (slots.some((slot) => slot.container === "single")) return "single";
  if (slots.some((slot) => slot.container === "list")) return "list";
  if (slots.some((slot) => slot.container === "dict")) return "dict";
  if (Array.isArray(current)) return "list";
  if (isJsonObject(current)) return "dict";
  return element === "step" ? "list" : "single";
}

/** The definition with `connection` written into it; unchanged when the connection is not valid (see `connectionProblem`). */
export function connect(definition: WorkflowDefinition, catalogue: Catalogue, connection: Connection): WorkflowDefinition {
  const graph = buildGraph(definition, catalogue);
  if (connectionProblem(graph, connection) !== null) return definition;
  const stepOf = (id: string) => definition.steps.find((step) => stepNodeId(step.name) === id);
  if (connection.sourceHandle?.startsWith("flow:")) {
    const step = stepOf(connection.source)!;
    const property = connection.sourceHandle.slice(5);
    const container = containerFor(catalogue.byType.get(step.type), property, "step", step[property]);
    return replaceStep(definition, step.name, (current) => plugInto(current, property, { type: "step", step: nodeName(connection.target) }, container));
  }
  const source = graph.nodes.find((node) => node.id === connection.source)!;
  const selector = selectorOfHandle(source, connection.sourceHandle)!;
  if (connection.target.startsWith("output:")) {
    const name = nodeName(connection.target);
    return { ...definition, outputs: definition.outputs.map((output) => (output.name === name ? { ...output, selector: formatSelector(selector) } : output)) };
  }
  const step = stepOf(connection.target)!;
  const property = connection.targetHandle!.slice(3);
  const container = containerFor(catalogue.byType.get(step.type), property, "data", step[property]);
  return replaceStep(definition, step.name, (current) => plugInto(current, property, selector, container));
}

/** Removes the value at `path` inside `value` (a list item or a map entry); undefined when nothing is left to keep. */
function removeAt(value: unknown, path: PathKey[]): unknown {
  if (path.length === 0) return undefined;
  const [key, ...rest] = path;
  if (Array.isArray(value) && typeof key === "number") {
    const inner = removeAt(value[key], rest);
    return inner === undefined ? value.filter((_, index) => index !== key) : value.map((item, index) => (index === key ? inner : item));
  }
  if (isJsonObject(value) && typeof key === "string") {
    const inner = removeAt(value[key], rest);
    const { [key]: _removed, ...others } = value;
    return inner === undefined ? others : { ...value, [key]: inner };
  }
  return value;
}

function withoutProperty(step: StepDefinition, property: string): StepDefinition {
  const { [property]: _removed, ...rest } = step;
  return rest as StepDefinition;
}

/** The definition without the selector an edge stands for (an output keeps its entry with an empty selector). */
export function disconnect(definition: WorkflowDefinition, edge: EdgeData): WorkflowDefinition {
  if (edge.kind === "output") {
    return { ...definition, outputs: definition.outputs.map((output) => (output.name === edge.output ? { ...output, selector: "" } : output)) };
  }
  return replaceStep(definition, edge.step, (step) => {
    if (edge.path.length === 0) return withoutProperty(step, edge.property);
    const value = removeAt(step[edge.property], edge.path);
    return value === undefined ? withoutProperty(step, edge.property) : { ...step, [edge.property]: value };
  });
}

function comparePathsDescending(a: EdgeData, b: EdgeData): number {
  const pathA = a.kind === "output" ? [] : a.path;
  const pathB = b.kind === "output" ? [] : b.path;
  for (let index = 0; index < Math.min(pathA.length, pathB.length); index++) {
    if (pathA[index] !== pathB[index]) return String(pathB[index]).localeCompare(String(pathA[index]), undefined, { numeric: true });
  }
  return pathB.length - pathA.length;
}

/**
 * Deletes what the user selected. Edges go first, later list items before earlier ones so that
 * the indices of the rest stay right; edges of deleted nodes are left to `removeNode`.
 */
export function deleteElements(definition: WorkflowDefinition, nodeIds: readonly string[], edges: readonly GraphEdge[]): WorkflowDefinition {
  const removed = new Set(nodeIds);
  const ownEdges = edges
    .filter((edge) => !removed.has(edge.source) && !removed.has(edge.target))
    .map((edge) => edge.data)
    .sort(comparePathsDescending);
  const disconnected = ownEdges.reduce(disconnect, definition);
  return nodeIds.reduce(removeNode, disconnected);
}

// ---- editing --------------------------------------------------------------------------------

const NAME_CHARACTERS = /[^A-Za-z0-9_-]+/g;

/** `wanted` made a valid step/input name (letters, digits, `_`, `-`) not in `taken`, suffixed `_2`, `_3`, … when needed. */
export function uniqueName(wanted: string, taken: Iterable<string>): string {
  const base = wanted.replace(NAME_CHARACTERS, "_").replace(/^_+|_+$/g, "") || "step";
  const used = new Set(taken);
  if (!used.has(base)) return base;
  let index = 2;
  while (used.has(`${base}_${index}`)) index++;
  return `${base}_${index}`;
}

/** `roboflow_core/identify_outliers@v1` → `identify_outliers`. */
export function suggestedStepName(blockType: string): string {
  return blockType.replace(/^.*\//, "").replace(/@.*$/, "");
}

export function addStep(definition: WorkflowDefinition, block: Pick<BlockInfo, "type">): { definition: WorkflowDefinition; name: string } {
  const name = uniqueName(
    suggestedStepName(block.type),
    definition.steps.map((step) => step.name),
  );
  return { definition: { ...definition, steps: [...definition.steps, { type: block.type, name }] }, name };
}

export function addInput(definition: WorkflowDefinition, type: string, wanted: string): { definition: WorkflowDefinition; name: string } {
  const name = uniqueName(
    wanted,
    definition.inputs.map((input) => input.name),
  );
  const input: InputDefinition = type === "WorkflowParameter" ? { type, name, default_value: null } : { type, name };
  return { definition: { ...definition, inputs: [...definition.inputs, input] }, name };
}

export function addOutput(definition: WorkflowDefinition, wanted: string, selector = ""): { definition: WorkflowDefinition; name: string } {
  const name = uniqueName(
    wanted,
    definition.outputs.map((output) => output.name),
  );
  return { definition: { ...definition, outputs: [...definition.outputs, { type: "JsonField", name, selector }] }, name };
}

/** Rewrites every selector inside `value` with `rewrite` (null: remove it). */
function rewriteSelectors(value: unknown, rewrite: (selector: Selector) => Selector | null): unknown {
  const selector = parseSelector(value);
  if (selector) {
    const next = rewrite(selector);
    return next ? formatSelector(next) : undefined;
  }
  if (Array.isArray(value)) return value.map((item) => rewriteSelectors(item, rewrite)).filter((item) => item !== undefined);
  if (isJsonObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, item]) => [key, rewriteSelectors(item, rewrite)] as const)
        .filter(([, item]) => item !== undefined),
    );
  }
  return value;
}

function rewriteDefinition(definition: WorkflowDefinition, rewrite: (selector: Selector) => Selector | null): WorkflowDefinition {
  const steps = definition.steps.map((step) => {
    const next: StepDefinition = { type: step.type, name: step.name };
    for (const [key, value] of Object.entries(step)) {
      if (key === "type" || key === "name") continue;
      const rewritten = rewriteSelectors(value, rewrite);
      if (rewritten !== undefined) next[key] = rewritten;
    }
    return next;
  });
  const outputs = definition.outputs.map((output) => {
    const selector = parseSelector(output.selector);
    if (!selector) return output;
    const next = rewrite(selector);
    return { ...output, selector: next ? formatSelector(next) : "" };
  });
  return { ...definition, steps, outputs };
}

const refersToStep = (selector: Selector, name: string) => selector.type !== "input" && selector.step === name;

/** Renames a step and every selector naming it. */
export function renameStep(definition: WorkflowDefinition, from: string, to: string): WorkflowDefinition {
  const renamed = rewriteDefinition(definition, (selector) => (refersToStep(selector, from) ? { ...selector, step: to } : selector));
  return replaceStep(renamed, from, (step) => ({ ...step, name: to }));
}

export function renameInput(definition: WorkflowDefinition, from: string, to: string): WorkflowDefinition {
  const renamed = rewriteDefinition(definition, (selector) => (selector.type === "input" && selector.input === from ? { ...selector, input: to } : selector));
  return { ...renamed, inputs: renamed.inputs.map((input) => (input.name === from ? { ...input, name: to } : input)) };
}

/** Removes a node and the selectors that named it (outputs pointing at it keep their entry, with an empty selector). */
export function removeNode(definition: WorkflowDefinition, nodeId: string): WorkflowDefinition {
  const name = nodeName(nodeId);
  if (nodeId.startsWith("output:")) return { ...definition, outputs: definition.outputs.filter((output) => output.name !== name) };
  if (nodeId.startsWith("input:")) {
    const rest = rewriteDefinition(definition, (selector) => (selector.type === "input" && selector.input === name ? null : selector));
    return { ...rest, inputs: rest.inputs.filter((input) => input.name !== name) };
  }
  const rest = rewriteDefinition(definition, (selector) => (refersToStep(selector, name) ? null : selector));
  return { ...rest, steps: rest.steps.filter((step) => step.name !== name) };
}

/** Sets (or, with `undefined`, removes) one property of a step. */
export function setStepProperty(definition: WorkflowDefinition, step: string, property: string, value: unknown): WorkflowDefinition {
  return replaceStep(definition, step, (current) => (value === undefined ? withoutProperty(current, property) : { ...current, [property]: value }));
}

/** Every data selector the definition offers (inputs first, then step outputs), with its kinds — for pickers. */
export function availableSelectors(definition: WorkflowDefinition, catalogue: Catalogue): { selector: string; kinds: string[] }[] {
  const fromInputs = definition.inputs.map((input) => ({ selector: `$inputs.${input.name}`, kinds: inputKinds(input) }));
  const fromSteps = definition.steps.flatMap((step) =>
    (catalogue.byType.get(step.type)?.outputs ?? []).map((output) => ({ selector: `$steps.${step.name}.${output.name}`, kinds: output.kinds })),
  );
  return [...fromInputs, ...fromSteps];
}

// ---- layout ---------------------------------------------------------------------------------

export interface Position {
  x: number;
  y: number;
}

export const LAYOUT = { columnWidth: 270, rowHeight: 170 } as const;

/**
 * A layered layout, left to right: inputs in column 0, each step one column right of the
 * furthest node it depends on (data or flow), outputs right of their source; within a column,
 * definition order. Cycles (invalid anyway) are cut where they are found.
 */
export function layoutGraph(graph: Graph): Map<string, Position> {
  const incoming = new Map<string, string[]>();
  for (const edge of graph.edges) incoming.set(edge.target, [...(incoming.get(edge.target) ?? []), edge.source]);
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const node = graph.nodes.find((candidate) => candidate.id === id);
    const sources = incoming.get(id) ?? [];
    const value = node?.data.kind === "input" ? 0 : Math.max(node?.data.kind === "step" ? 1 : 0, ...sources.map((source) => depthOf(source) + 1));
    visiting.delete(id);
    depth.set(id, value);
    return value;
  };
  const rows = new Map<number, number>();
  const positions = new Map<string, Position>();
  for (const node of graph.nodes) {
    const column = depthOf(node.id);
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    positions.set(node.id, { x: column * LAYOUT.columnWidth, y: row * LAYOUT.rowHeight });
  }
  return positions;
}

// ---- reading documents ----------------------------------------------------------------------

/**
 * A parsed JSON document as a definition, or what keeps it from being one (the server checks
 * everything else; this only guards the editor's own assumptions).
 */
export function readDefinition(value: unknown): { definition: WorkflowDefinition } | { problem: string } {
  if (!isJsonObject(value)) return { problem: "A workflow definition is a JSON object with version, inputs, steps and outputs." };
  for (const key of ["inputs", "steps", "outputs"] as const) {
    const list = value[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return { problem: `"${key}" must be a list.` };
    const index = list.findIndex((item) => !isJsonObject(item) || typeof item.name !== "string" || typeof item.type !== "string");
    if (index >= 0) return { problem: `${key}[${index}] needs a "type" and a "name" (strings).` };
  }
  const outputs = (value.outputs ?? []) as Record<string, unknown>[];
  const badOutput = outputs.findIndex((output) => output.selector !== undefined && typeof output.selector !== "string");
  if (badOutput >= 0) return { problem: `outputs[${badOutput}].selector must be a string.` };
  return {
    definition: {
      ...value,
      version: typeof value.version === "string" ? value.version : "1.0",
      inputs: (value.inputs ?? []) as InputDefinition[],
      steps: (value.steps ?? []) as StepDefinition[],
      outputs: outputs.map((output) => ({ ...output, selector: (output.selector as string | undefined) ?? "" })) as OutputDefinition[],
    },
  };
}
