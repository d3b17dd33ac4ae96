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
  useNodesInitialized,
  useReactFlow,
  type Connection as FlowConnection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type ReactFlowInstance,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type SetStateAction } from "react";
import type { ApiClient } from "../api.js";
import { BlockPalette } from "./BlockPalette.js";
import type { BlockInfo, Catalogue } from "./catalogue.js";
import { DefinitionToolbar } from "./DefinitionToolbar.js";
import type { NodeLayout, WorkflowDocument } from "../app/document.js";
import { addStep, connect, deleteElements } from "./editing.js";
import { buildGraph, connectionProblem, stepNodeId, type Connection, type EdgeData } from "./graph.js";
import { Inspector } from "./Inspector.js";
import { JsonView } from "./JsonView.js";
import { autoLayout } from "./elk.js";
import { freeSpot, layoutGraph, type Position, type Rect, type Size } from "./layout.js";
import { flowNodeType, NODE_TYPES, type FlowNode } from "./nodes.js";
import { stepProblems, type Validation } from "./validation.js";

type FlowEdge = Edge<EdgeData>;

export interface EditorProps {
  client: ApiClient;
  document: WorkflowDocument;
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

/** A node's size before React Flow has measured it: a step with a few properties. */
const ESTIMATED_SIZE: Size = { width: 240, height: 180 };
const MINIMAP_SIZE = { width: 160, height: 110 } as const;
/** Room kept below the drawing at fit-view for the overlays in the canvas's bottom corners (zoom controls, minimap). */
const OVERLAYS_HEIGHT = 140;
const FIT = { padding: { top: "16px", left: "16px", right: "16px", bottom: `${OVERLAYS_HEIGHT}px` }, minZoom: 0.2, maxZoom: 1.1 } as const;

/** The canvas's visible part, its overlays and its nodes, in the graph's coordinates — where `freeSpot` looks. */
function visibleArea(
  element: HTMLElement,
  flow: ReactFlowInstance<FlowNode, FlowEdge>,
  layout: NodeLayout,
): { view: Rect; reserved: Rect[]; occupied: Rect[] } {
  const { x, y, zoom } = flow.getViewport();
  const origin = element.getBoundingClientRect();
  const toGraph = (rect: DOMRect): Rect => ({
    x: (rect.left - origin.left - x) / zoom,
    y: (rect.top - origin.top - y) / zoom,
    width: rect.width / zoom,
    height: rect.height / zoom,
  });
  const occupied = flow.getNodes().flatMap((node) => {
    const position = layout[node.id];
    return position ? [{ ...position, width: node.measured?.width ?? ESTIMATED_SIZE.width, height: node.measured?.height ?? ESTIMATED_SIZE.height }] : [];
  });
  // Panels: the minimap, the zoom controls and the canvas toolbar.
  const reserved = [...element.querySelectorAll(".react-flow__panel")].map((panel) => toGraph(panel.getBoundingClientRect()));
  return { view: toGraph(origin), reserved, occupied };
}

interface CanvasProps extends EditorProps {
  selected: string | null;
  select: Select;
  /** Incremented by the toolbar's Auto-layout button. */
  layoutRequest: number;
}

function Canvas({ document: doc, catalogue, validation, selected, select, layoutRequest }: CanvasProps) {
  const { definition, layout, update, move, place } = doc;
  const graph = useMemo(() => buildGraph(definition, catalogue), [definition, catalogue]);
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(new Set());
  const [hint, setHint] = useState<string | null>(null);
  const container = useRef<HTMLDivElement>(null);
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const measured = useNodesInitialized();
  // Auto-layout runs once React Flow has measured every node: for a loaded document's first drawing
  // (part of the load) or from the toolbar (an undoable move).
  const [layoutWanted, setLayoutWanted] = useState<"place" | "move" | null>(null);
  const [fitRequest, setFitRequest] = useState(0);
  const [fitting, setFitting] = useState(false);
  useEffect(() => {
    if (layoutRequest > 0) setLayoutWanted("move");
  }, [layoutRequest]);

  // Nodes without a place: when none has one (a loaded document), a first placement that auto-layout
  // then improves; otherwise (an added block, a step typed into the JSON) a free spot in view.
  useEffect(() => {
    const missing = graph.nodes.filter((node) => !layout[node.id]);
    if (missing.length === 0) return;
    if (missing.length === graph.nodes.length) {
      place(Object.fromEntries(layoutGraph(graph)));
      setLayoutWanted("place");
      return;
    }
    if (!container.current) return;
    const { view, reserved, occupied } = visibleArea(container.current, flow, layout);
    const positions: Record<string, Position> = {};
    let allInView = true;
    for (const node of missing) {
      const spot = freeSpot(occupied, reserved, view, ESTIMATED_SIZE);
      positions[node.id] = spot.position;
      occupied.push({ ...spot.position, ...ESTIMATED_SIZE });
      allInView &&= spot.inView;
    }
    place(positions);
    if (!allInView) setFitRequest((count) => count + 1);
  }, [graph, layout, place, flow]);

  useEffect(() => {
    if (layoutWanted === null || !measured) return;
    let cancelled = false;
    const element = container.current;
    const sizes = new Map(
      flow.getNodes().map((node) => [node.id, { width: node.measured?.width ?? ESTIMATED_SIZE.width, height: node.measured?.height ?? ESTIMATED_SIZE.height }]),
    );
    // A hidden canvas (the run view is showing) has no shape: a landscape one is likely.
    const aspectRatio = element && element.clientHeight > OVERLAYS_HEIGHT ? element.clientWidth / (element.clientHeight - OVERLAYS_HEIGHT) : 1.6;
    void autoLayout(graph, sizes, aspectRatio, ESTIMATED_SIZE).then((positions) => {
      if (cancelled) return;
      (layoutWanted === "place" ? place : move)(Object.fromEntries(positions));
      setLayoutWanted(null);
      setFitRequest((count) => count + 1);
    });
    return () => {
      cancelled = true;
    };
  }, [layoutWanted, measured, graph, flow, place, move]);

  // Brought into view once React Flow has the new positions.
  useEffect(() => {
    if (fitRequest === 0) return;
    setFitting(true);
    const timer = setTimeout(() => void flow.fitView(FIT).then(() => setFitting(false)), 80);
    return () => clearTimeout(timer);
  }, [fitRequest, flow]);

  useEffect(() => {
    setNodes((previous) => {
      const prior = new Map(previous.map((node) => [node.id, node]));
      return graph.nodes.flatMap((node): FlowNode[] => {
        const position = layout[node.id];
        if (!position) return [];
        const data = { ...node.data, problems: node.data.kind === "step" ? stepProblems(validation, node.data.name) : [] };
        const kept = prior.get(node.id);
        return [
          kept
            ? { ...kept, position, data, selected: node.id === selected }
            : { id: node.id, type: flowNodeType(node.type), position, data, selected: node.id === selected },
        ];
      });
    });
  }, [graph, validation, selected, layout]);

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
      // Removals arrive through onDelete, as edits of the definition; a drag's positions are kept when it ends.
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
    <div className="canvas" aria-label="Workflow graph" role="region" ref={container} aria-busy={layoutWanted !== null || fitting}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={(_event, _node, dragged) => move(Object.fromEntries(dragged.map((node) => [node.id, node.position])))}
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
        minZoom={FIT.minZoom}
        fitView
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <Controls />
        <MiniMap pannable zoomable style={MINIMAP_SIZE} />
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

/** Whether the focused element keeps its own undo history (the JSON text, the code editor). */
function ownsUndo(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest("textarea, .cm-editor") !== null;
}

export function Editor(props: EditorProps) {
  const { client, document: doc, catalogue, catalogueError, validation, checking } = props;
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState<"properties" | "json">("properties");
  const root = useRef<HTMLDivElement>(null);
  const [layoutRequest, setLayoutRequest] = useState(0);
  useEffect(() => setSelected(null), [doc.epoch]);

  // Ctrl/⌘+Z and Shift+Ctrl/⌘+Z (or Ctrl+Y) while the editor is showing.
  const { undo, redo } = doc;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const key = event.key.toLowerCase();
      if (!(event.ctrlKey || event.metaKey) || event.altKey || (key !== "z" && key !== "y")) return;
      if (root.current?.offsetParent === null || ownsUndo(event.target)) return;
      event.preventDefault();
      if (key === "y" || event.shiftKey) redo();
      else undo();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo]);

  const addBlock = (block: BlockInfo) => {
    const added = addStep(doc.definition, block);
    doc.update(() => added.definition);
    setSelected(stepNodeId(added.name));
    setTab("properties");
  };

  return (
    <div className="editor" ref={root}>
      <div className="editor-top">
        <DefinitionToolbar client={client} definition={doc.definition} name={doc.name} onNameChange={doc.rename} onLoad={doc.load} />
        <div className="toolbar" role="toolbar" aria-label="Canvas">
          <button type="button" onClick={doc.undo} disabled={!doc.canUndo} title="Undo (Ctrl+Z / ⌘Z)">
            Undo
          </button>
          <button type="button" onClick={doc.redo} disabled={!doc.canRedo} title="Redo (Shift+Ctrl+Z / ⇧⌘Z)">
            Redo
          </button>
          <button
            type="button"
            onClick={() => setLayoutRequest((count) => count + 1)}
            disabled={doc.definition.steps.length + doc.definition.inputs.length === 0}
          >
            Auto-layout
          </button>
        </div>
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
          <Canvas {...props} selected={selected} select={setSelected} layoutRequest={layoutRequest} />
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
              <Inspector
                selected={selected}
                definition={doc.definition}
                catalogue={catalogue}
                validation={validation}
                update={doc.update}
                select={setSelected}
              />
            ) : (
              <JsonView definition={doc.definition} onChange={(next) => doc.update(() => next)} />
            )}
          </div>
        </aside>
      </div>
    </div>
  );
}
