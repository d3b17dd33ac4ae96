/**
 * How inputs, steps and outputs look on the canvas. Handles follow `graph.ts`'s ids and carry
 * accessible names ("Property data of clip", "Output embedding of clip", …) so they can be found
 * by assistive technology and by the browser tests.
 */
import { Handle, Position, type Node, type NodeProps, type NodeTypes } from "@xyflow/react";
import type { NodeData } from "./graph.js";
import type { StepProblem } from "./validation.js";

/** A graph node's data plus the validation messages about it. */
export type FlowNodeData = NodeData & { problems: StepProblem[] };
export type FlowNode = Node<FlowNodeData>;

function kindsTitle(kinds: readonly string[]): string {
  return `kinds: ${kinds.join(", ")}`;
}

function InputNode({ data }: NodeProps<FlowNode>) {
  if (data.kind !== "input") return null;
  return (
    <section className="node node-input" aria-label={`Input ${data.name}`}>
      <header className="node-header">
        <span className="node-badge">input</span>
        <span className="node-title">{data.name}</span>
      </header>
      <div className="node-row node-row-source" title={kindsTitle(data.kinds)}>
        <span className="node-muted">{data.inputType}</span>
        <Handle type="source" position={Position.Right} id="out" aria-label={`Output of input ${data.name}`} className="handle handle-data" />
      </div>
    </section>
  );
}

function OutputNode({ data }: NodeProps<FlowNode>) {
  if (data.kind !== "output") return null;
  return (
    <section className={`node node-output${data.selector ? "" : " node-invalid"}`} aria-label={`Output ${data.name}`}>
      <header className="node-header">
        <span className="node-badge">output</span>
        <span className="node-title">{data.name}</span>
      </header>
      <div className="node-row">
        <Handle type="target" position={Position.Left} id="in" aria-label={`Selector of output ${data.name}`} className="handle handle-data" />
        <code className="node-muted">{data.selector || "not connected"}</code>
      </div>
    </section>
  );
}

function StepNode({ data }: NodeProps<FlowNode>) {
  if (data.kind !== "step") return null;
  const problemsOf = (property: string) => data.problems.filter((problem) => problem.property === property);
  const stepWide = data.problems.filter((problem) => problem.property === null || !data.targets.some((target) => target.property === problem.property));
  return (
    <section className={`node node-step family-${data.family}${data.problems.length > 0 ? " node-invalid" : ""}`} aria-label={`Step ${data.name}`}>
      <Handle type="target" position={Position.Top} id="step" aria-label={`Flow into ${data.name}`} className="handle handle-flow" />
      <header className="node-header" title={data.blockType}>
        <span className="node-badge">{data.family}</span>
        <span className="node-title">{data.name}</span>
        {data.problems.length > 0 && (
          <span className="node-problem-count" title={data.problems.map((problem) => problem.message).join("\n")}>
            {data.problems.length} problem{data.problems.length === 1 ? "" : "s"}
          </span>
        )}
      </header>
      <div className="node-subtitle">{data.known ? data.title : `Unknown block ${data.blockType}`}</div>
      {data.targets.map((target) => {
        const problems = problemsOf(target.property);
        return (
          <div key={target.property} className={`node-row${problems.length > 0 ? " node-row-invalid" : ""}`} title={kindsTitle(target.kinds)}>
            <Handle
              type="target"
              position={Position.Left}
              id={`in:${target.property}`}
              aria-label={`Property ${target.property} of ${data.name}`}
              className="handle handle-data"
            />
            <span>
              {target.property}
              {target.required ? <span className="node-required">*</span> : null}
            </span>
            {problems.map((problem) => (
              <span key={problem.message} className="node-error">
                {problem.message}
              </span>
            ))}
          </div>
        );
      })}
      {data.sources.map((source) => (
        <div key={source.output} className="node-row node-row-source" title={kindsTitle(source.kinds)}>
          <span>{source.output}</span>
          <Handle
            type="source"
            position={Position.Right}
            id={`out:${source.output}`}
            aria-label={`Output ${source.output} of ${data.name}`}
            className="handle handle-data"
          />
        </div>
      ))}
      {data.flows.map((property) => (
        <div key={property} className="node-row node-row-source node-row-flow">
          <span>{property} ⇢</span>
          <Handle
            type="source"
            position={Position.Right}
            id={`flow:${property}`}
            aria-label={`Flow ${property} of ${data.name}`}
            className="handle handle-flow"
          />
        </div>
      ))}
      {stepWide.map((problem) => (
        <div key={problem.message} className="node-error node-error-block">
          {problem.message}
        </div>
      ))}
    </section>
  );
}

/** React Flow node type of each graph node kind (not `input`/`output`, which React Flow styles as its own). */
export const flowNodeType = (kind: FlowNodeData["kind"]) => `workflow-${kind}`;

export const NODE_TYPES: NodeTypes = { [flowNodeType("input")]: InputNode, [flowNodeType("step")]: StepNode, [flowNodeType("output")]: OutputNode };
