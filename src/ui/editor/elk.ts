/**
 * ELK's placement of a graph (`elkGraph`), wrapped into rows for the canvas (`wrapLayers`,
 * docs/guides/ui.md#layout). ELK is loaded on first use,
 * in a chunk of its own; the browser's bundle resolves its default export (the constructor).
 */
import type { Graph } from "./graph.js";
import { elkGraph, wrapLayers, type Position, type Rect, type Size } from "./layout.js";

export async function autoLayout(graph: Graph, sizes: ReadonlyMap<string, Size>, aspectRatio: number, fallback: Size): Promise<Map<string, Position>> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const laidOut = await new ELK().layout(elkGraph(graph, sizes, fallback));
  const placed = new Map(
    (laidOut.children ?? []).map((child): [string, Rect] => [
      child.id,
      { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? fallback.width, height: child.height ?? fallback.height },
    ]),
  );
  return wrapLayers(placed, aspectRatio);
}
