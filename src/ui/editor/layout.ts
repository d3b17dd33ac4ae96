/**
 * Where the editor places the graph's nodes. React Flow draws them there.
 *
 * - `layoutGraph`: a first placement before React Flow has measured the nodes (pure, synchronous).
 * - auto-layout (docs/guides/ui.md#layout): ELK's layered layout of the measured nodes, left to
 *   right (`elkGraph`, run by `elk.ts`), its layers then cut into rows stacked top to bottom
 *   (`wrapLayers`) so that the drawing has about the canvas's shape — a long chain of steps fits
 *   the canvas at a zoom where its text stays readable. (ELK's own wrapping cuts only where few
 *   edges cross, which leaves a typical workflow wide and low.)
 * - `freeSpot`: where a node added to an existing drawing goes — in view, on no other node and
 *   not under the canvas's own overlays (minimap, controls).
 */
import type { ElkNode } from "elkjs/lib/elk-api.js";
import type { Graph } from "./graph.js";

export interface Position {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export type Rect = Position & Size;

export const LAYOUT = { columnWidth: 270, rowHeight: 170 } as const;

/** Gaps ELK and `freeSpot` keep between nodes, px at zoom 1. */
const SPACING = { nodes: 20, layers: 40 } as const;

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

/** The ELK graph of `graph` with each node's measured size (nodes not measured yet get `fallback`). */
export function elkGraph(graph: Graph, sizes: ReadonlyMap<string, Size>, fallback: Size): ElkNode {
  const ids = new Set(graph.nodes.map((node) => node.id));
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": String(SPACING.nodes),
      "elk.layered.spacing.nodeNodeBetweenLayers": String(SPACING.layers),
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.separateConnectedComponents": "false",
    },
    children: graph.nodes.map((node) => ({ id: node.id, ...(sizes.get(node.id) ?? fallback) })),
    // Edges between existing nodes only; parallel edges (several properties fed by one output) are one for the layout.
    edges: [...new Set(graph.edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target)).map((edge) => `${edge.source}\n${edge.target}`))].map(
      (pair, index) => {
        const [source, target] = pair.split("\n");
        return { id: `e${index}`, sources: [source], targets: [target] };
      },
    ),
  };
}

/** Nodes sharing columns: each layer is the run of nodes (by x) overlapping the one before horizontally. */
function layersOf(placed: ReadonlyMap<string, Rect>): [string, Rect][][] {
  const layers: [string, Rect][][] = [];
  let right = Number.NEGATIVE_INFINITY;
  for (const entry of [...placed].sort(([, a], [, b]) => a.x - b.x)) {
    const [, rect] = entry;
    if (rect.x >= right) layers.push([]);
    layers.at(-1)!.push(entry);
    right = Math.max(right, rect.x + rect.width);
  }
  return layers;
}

const boundsOf = (rects: readonly Rect[]) => {
  const x = Math.min(...rects.map((rect) => rect.x));
  const y = Math.min(...rects.map((rect) => rect.y));
  return { x, y, width: Math.max(...rects.map((rect) => rect.x + rect.width)) - x, height: Math.max(...rects.map((rect) => rect.y + rect.height)) - y };
};

/**
 * A left-to-right layout (`placed`) cut into rows of consecutive layers, stacked top to bottom:
 * as many rows (of about as many layers each) as let the drawing be drawn largest in a canvas
 * whose width ÷ height is `aspectRatio`.
 */
export function wrapLayers(placed: ReadonlyMap<string, Rect>, aspectRatio: number): Map<string, Position> {
  const layers = layersOf(placed);
  let best = { scale: 0, positions: new Map<string, Position>() };
  for (let count = 1; count <= layers.length; count += 1) {
    const perRow = Math.ceil(layers.length / count);
    const positions = new Map<string, Position>();
    let top = 0;
    let width = 0;
    for (let start = 0; start < layers.length; start += perRow) {
      const row = layers.slice(start, start + perRow).flat();
      const bounds = boundsOf(row.map(([, rect]) => rect));
      for (const [id, rect] of row) positions.set(id, { x: rect.x - bounds.x, y: rect.y - bounds.y + top });
      top += bounds.height + SPACING.layers;
      width = Math.max(width, bounds.width);
    }
    const scale = Math.min(aspectRatio / width, 1 / (top - SPACING.layers));
    if (scale > best.scale) best = { scale, positions };
  }
  return best.positions;
}

function overlaps(a: Rect, b: Rect, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/**
 * The first place, scanning `view` row by row from its top left, where a node of `size` overlaps
 * no `occupied` rectangle (with a gap) and no `reserved` one (overlays, in the same coordinates);
 * when the view has none, right of everything occupied, level with the view's top — the caller
 * then brings it into view. `inView` says which.
 */
export function freeSpot(occupied: readonly Rect[], reserved: readonly Rect[], view: Rect, size: Size): { position: Position; inView: boolean } {
  const step = SPACING.nodes;
  for (let y = view.y + step; y + size.height <= view.y + view.height; y += step) {
    for (let x = view.x + step; x + size.width <= view.x + view.width; x += step) {
      const candidate = { x, y, ...size };
      if (!occupied.some((rect) => overlaps(candidate, rect, step)) && !reserved.some((rect) => overlaps(candidate, rect, 0))) {
        return { position: { x, y }, inView: true };
      }
    }
  }
  const right = Math.max(view.x, ...occupied.map((rect) => rect.x + rect.width));
  return { position: { x: right + SPACING.layers, y: view.y + step }, inView: false };
}
