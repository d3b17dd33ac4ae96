/** Where the editor first places the graph's nodes. Pure; React Flow draws them there. */
import type { Graph } from "./graph.js";

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
