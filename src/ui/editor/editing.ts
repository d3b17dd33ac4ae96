/**
 * Editing a workflow definition, as pure functions that return the changed definition (nothing
 * here mutates its arguments): connecting a handle writes the selector into the definition,
 * deleting an edge removes it, renaming a step or an input rewrites every selector that names
 * it; adding, removing and setting properties.
 */
import { isJsonObject } from "../../definition/json.js";
import { formatSelector, lastName, parseSelector, replaceNonNameCharacters, type Selector } from "../../definition/selectors.js";
import type { BlockInfo, Catalogue } from "./catalogue.js";
import type { InputDefinition, StepDefinition, WorkflowDefinition } from "./definition.js";
import {
  buildGraph,
  connectionProblem,
  nodeName,
  selectorOfHandle,
  stepNodeId,
  type Connection,
  type EdgeData,
  type GraphEdge,
  type PathKey,
} from "./graph.js";

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
    const list: unknown[] = Array.isArray(current) ? current : [];
    return list.includes(text) ? step : { ...step, [property]: [...list, text] };
  }
  if (container === "dict") {
    const map = isJsonObject(current) ? current : {};
    if (Object.values(map).includes(text)) return step;
    return { ...step, [property]: { ...map, [uniqueKey(map, lastName(selector))]: text } };
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
    const list = value as unknown[];
    const inner = removeAt(list[key], rest);
    return inner === undefined ? list.filter((_, index) => index !== key) : list.map((item, index) => (index === key ? inner : item));
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

// ---- adding, renaming, removing -------------------------------------------------------------

/** `wanted` made a valid step/input name (letters, digits, `_`, `-`) not in `taken`, suffixed `_2`, `_3`, … when needed. */
export function uniqueName(wanted: string, taken: Iterable<string>): string {
  const base = replaceNonNameCharacters(wanted).replace(/^_+|_+$/g, "") || "step";
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
