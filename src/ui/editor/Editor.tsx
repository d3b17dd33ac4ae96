/**
 * The workflow editor: the block catalogue, the graph (React Flow draws what `graph.ts`
 * computes from the definition), and the selected node's properties or the JSON text. Every
 * edit goes through the definition; the graph, the form and the JSON follow from it.
 */
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type Connection as FlowConnection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type SetStateAction } from "react";
import type { ApiClient } from "../api.js";
import { BlockPalette } from "./BlockPalette.js";
import type { BlockInfo, Catalogue } from "./catalogue.js";
import { DefinitionToolbar } from "./DefinitionToolbar.js";
import type { WorkflowDefinition } from "./definition.js";
import { addStep, connect, deleteElements } from "./editing.js";
import { buildGraph, connectionProblem, stepNodeId, type Connection, type EdgeData } from "./graph.js";
import { Inspector } from "./Inspector.js";
import { JsonView } from "./JsonView.js";
import { layoutGraph } from "./layout.js";
import { flowNodeType, NODE_TYPES, type FlowNode } from "./nodes.js";
import { stepProblems, type Validation } from "./validation.js";

type FlowEdge = Edge<EdgeData>;
type Update = (change: (definition: WorkflowDefinition) => WorkflowDefinition) => void;

export interface EditorProps {
  client: ApiClient;
  definition: WorkflowDefinition;
  update: Update;
  /** Replaces the document (load, new); the graph is laid out afresh. */
  load: (definition: WorkflowDefinition, name: string) => void;
  /** Changes each time a document is loaded. */
  documentEpoch: number;
  name: string;
  onNameChange: (name: string) => void;
  catalogue: Catalogue;
  catalogueError: string | null;
  validation: Validation;
  /** A newer validation is under way (the one shown may be stale). */
  checking: boolean;
}

function ValidationStatus({ validation, checking }: { validation: Validation; checking: boolean }) {
  const text =
    validation.state === "valid"
      ? "Valid"
      : validation.state === "pending"
        ? "Checking…"
        : validation.state === "invalid"
          ? `Invalid — ${validation.errorType}`
          : `Cannot validate: ${validation.message}`;
  return (
    <span
      role="status"
      aria-label="Validation"
      aria-busy={checking}
      className={`validation validation-${validation.state}`}
      title={validation.state === "invalid" ? validation.message : undefined}
    >
      {text}
    </span>
  );
}

/** A dropped connection's end as a `Connection` (sources first, as React Flow's `onConnect` gives it). */
function finalConnection(state: FinalConnectionState): Connection | null {
  if (!state.fromHandle || !state.toHandle) return null;
  const [source, target] = state.fromHandle.type === "source" ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
  return { source: source.nodeId, sourceHandle: source.id ?? null, target: target.nodeId, targetHandle: target.id ?? null };
}

type Select = Dispatch<SetStateAction<string | null>>;

function Canvas({ definition, update, catalogue, validation, selected, select, documentEpoch }: EditorProps & { selected: string | null; select: Select }) {
  const graph = useMemo(() => buildGraph(definition, catalogue), [definition, catalogue]);
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(new Set());
  const [hint, setHint] = useState<string | null>(null);
  const flow = useReactFlow<FlowNode, FlowEdge>();

  // Node positions are the canvas's own state: kept across edits, laid out for new nodes, reset with each document.
  const shownIds = useRef<ReadonlySet<string>>(new Set());
  useEffect(() => {
    shownIds.current = new Set();
    setNodes([]);
  }, [documentEpoch]);

  // New nodes (a loaded document, an added block) are brought into view once React Flow has measured them.
  const [fitRequest, setFitRequest] = useState(0);
  useEffect(() => {
    if (fitRequest === 0) return;
    const timer = setTimeout(() => void flow.fitView({ padding: 0.1, minZoom: 0.35, maxZoom: 1.1 }), 80);
    return () => clearTimeout(timer);
  }, [fitRequest, flow]);

  useEffect(() => {
    const layout = layoutGraph(graph);
    if (graph.nodes.some((node) => !shownIds.current.has(node.id))) setFitRequest((count) => count + 1);
    shownIds.current = new Set(graph.nodes.map((node) => node.id));
    setNodes((previous) => {
      const prior = new Map(previous.map((node) => [node.id, node]));
      return graph.nodes.map((node): FlowNode => {
        const data = { ...node.data, problems: node.data.kind === "step" ? stepProblems(validation, node.data.name) : [] };
        const kept = prior.get(node.id);
        return kept
          ? { ...kept, data, selected: node.id === selected }
          : { id: node.id, type: flowNodeType(node.type), position: layout.get(node.id) ?? { x: 0, y: 0 }, data, selected: node.id === selected };
      });
    });
  }, [graph, validation, selected, documentEpoch]);

  const edges = useMemo(
    () =>
      graph.edges.map((edge): FlowEdge => ({
        ...edge,
        selected: selectedEdges.has(edge.id),
        className: `edge-${edge.data.kind}`,
        ...(edge.data.kind === "flow" ? { style: { strokeDasharray: "6 4" } } : {}),
      })),
    [graph, selectedEdges],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      for (const change of changes) {
        // Deselecting the previous node may come after selecting the next one.
        if (change.type === "select") select((current) => (change.selected ? change.id : current === change.id ? null : current));
      }
      // Removals arrive through onDelete, as edits of the definition.
      setNodes((current) =>
        applyNodeChanges(
          changes.filter((change) => change.type !== "remove" && change.type !== "select"),
          current,
        ),
      );
    },
    [select],
  );

  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdge>[]) => {
    setSelectedEdges((current) => {
      const next = new Set(current);
      for (const change of changes) {
        if (change.type !== "select") continue;
        if (change.selected) next.add(change.id);
        else next.delete(change.id);
      }
      return next;
    });
  }, []);

  useEffect(() => {
    if (hint === null) return;
    const timer = setTimeout(() => setHint(null), 8000);
    return () => clearTimeout(timer);
  }, [hint]);

  const isValidConnection = useCallback(
    (connection: FlowEdge | FlowConnection) =>
      connectionProblem(graph, {
        source: connection.source,
        sourceHandle: connection.sourceHandle ?? null,
        target: connection.target,
        targetHandle: connection.targetHandle ?? null,
      }) === null,
    [graph],
  );

  return (
    <div className="canvas" aria-label="Workflow graph" role="region">
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={(connection) => {
          setHint(null);
          update((current) => connect(current, catalogue, connection));
        }}
        onConnectStart={() => setHint(null)}
        onConnectEnd={(_event, state) => {
          const connection = finalConnection(state);
          setHint(connection && state.isValid === false ? connectionProblem(graph, connection) : null);
        }}
        isValidConnection={isValidConnection}
        onDelete={({ nodes: deletedNodes, edges: deletedEdges }) => {
          const ids = new Set(deletedEdges.map((edge) => edge.id));
          update((current) =>
            deleteElements(
              current,
              deletedNodes.map((node) => node.id),
              graph.edges.filter((edge) => ids.has(edge.id)),
            ),
          );
          if (deletedNodes.some((node) => node.id === selected)) select(null);
        }}
        onPaneClick={() => select(null)}
        deleteKeyCode={["Backspace", "Delete"]}
        minZoom={0.2}
        fitView
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <Controls />
        <MiniMap pannable zoomable />
      </ReactFlow>
      {hint && (
        <p className="canvas-hint" role="alert">
          {hint}
        </p>
      )}
      {graph.nodes.length === 0 && <p className="canvas-empty">Add an input and blocks from the catalogue, or load an example.</p>}
    </div>
  );
}

export function Editor(props: EditorProps) {
  const { client, definition, update, load, name, onNameChange, catalogue, catalogueError, validation, checking } = props;
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState<"properties" | "json">("properties");
  useEffect(() => setSelected(null), [props.documentEpoch]);

  const addBlock = (block: BlockInfo) => {
    const added = addStep(definition, block);
    update(() => added.definition);
    setSelected(stepNodeId(added.name));
    setTab("properties");
  };

  return (
    <div className="editor">
      <div className="editor-top">
        <DefinitionToolbar client={client} definition={definition} name={name} onNameChange={onNameChange} onLoad={load} />
        <ValidationStatus validation={validation} checking={checking} />
      </div>
      {catalogueError && (
        <p className="banner error" role="alert">
          Block catalogue unavailable: {catalogueError}
        </p>
      )}
      <div className="editor-main">
        <BlockPalette catalogue={catalogue} onAdd={addBlock} />
        <ReactFlowProvider>
          <Canvas {...props} selected={selected} select={setSelected} />
        </ReactFlowProvider>
        <aside className="side-panel">
          <div role="tablist" aria-label="Side panel" className="tabs">
            <button type="button" role="tab" aria-selected={tab === "properties"} onClick={() => setTab("properties")}>
              Properties
            </button>
            <button type="button" role="tab" aria-selected={tab === "json"} onClick={() => setTab("json")}>
              JSON
            </button>
          </div>
          <div role="tabpanel" className="tab-panel" aria-label={tab === "json" ? "JSON" : "Properties"}>
            {tab === "properties" ? (
              <Inspector selected={selected} definition={definition} catalogue={catalogue} validation={validation} update={update} select={setSelected} />
            ) : (
              <JsonView definition={definition} onChange={(next) => update(() => next)} />
            )}
          </div>
        </aside>
      </div>
    </div>
  );
}
