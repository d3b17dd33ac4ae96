/**
 * A workflow definition as the editor's graph, and which connections that graph allows — pure
 * functions; React Flow only draws the result:
 *
 * - nodes: one per input (`input:<name>`), step (`step:<name>`) and output (`output:<name>`);
 * - handles: an input's value (`out`); a step's outputs (`out:<output>`), its selector
 *   properties (`in:<property>`), its flow-control properties (`flow:<property>`, e.g.
 *   `next_steps`) and itself as a flow target (`step`); an output's selector (`in`);
 * - edges: every selector in the definition — `$inputs.x` / `$steps.x.y` inside step properties
 *   (also inside lists and maps) and in outputs, and `$steps.x` in flow-control properties
 *   (drawn dashed).
 *
 * The definition stays the single source of truth: `editing.ts` changes it, and the graph is
 * built again from it.
 */
import { formatSelector, parseSelector, type Selector } from "../../definition/selectors.js";
import { isJsonObject } from "../../definition/json.js";
import { kindsCompatible } from "../../kinds/compatibility.js";
import type { BlockInfo, Catalogue } from "./catalogue.js";
import { inputKinds, type StepDefinition, type WorkflowDefinition } from "./definition.js";
import { acceptedKinds } from "./schema.js";

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

/** The name in a node id. */
export function nodeName(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

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

/** Every data selector the definition offers (inputs first, then step outputs), with its kinds — for pickers. */
export function availableSelectors(definition: WorkflowDefinition, catalogue: Catalogue): { selector: string; kinds: string[] }[] {
  const fromInputs = definition.inputs.map((input) => ({ selector: formatSelector({ type: "input", input: input.name }), kinds: inputKinds(input) }));
  const fromSteps = definition.steps.flatMap((step) =>
    (catalogue.byType.get(step.type)?.outputs ?? []).map((output) => ({
      selector: formatSelector({ type: "output", step: step.name, output: output.name }),
      kinds: output.kinds,
    })),
  );
  return [...fromInputs, ...fromSteps];
}
