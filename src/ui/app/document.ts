/**
 * The document being edited — the definition and where its nodes are drawn — with its undo
 * history (docs/guides/ui.md#undo-and-redo). Shared by the editor and the run view; the draft in
 * localStorage follows the definition.
 */
import { useCallback, useMemo, useState } from "react";
import type { WorkflowDefinition } from "../editor/definition.js";
import { amend, record, redo, startHistory, undo, type History } from "../editor/history.js";
import type { Position } from "../editor/layout.js";

/** Where each node (by graph node id) is drawn; nodes missing here are placed by the canvas. */
export type NodeLayout = Readonly<Record<string, Position>>;

interface Snapshot {
  definition: WorkflowDefinition;
  layout: NodeLayout;
}

interface DocumentState {
  history: History<Snapshot>;
  name: string;
  /** Incremented when a document is loaded (not when it is edited). */
  epoch: number;
}

export interface WorkflowDocument {
  definition: WorkflowDefinition;
  layout: NodeLayout;
  name: string;
  epoch: number;
  canUndo: boolean;
  canRedo: boolean;
  /** A user's edit of the definition (undoable). */
  update: (change: (definition: WorkflowDefinition) => WorkflowDefinition) => void;
  /** Nodes moved by the user, or laid out on request (undoable). */
  move: (positions: NodeLayout) => void;
  /** Nodes placed by the editor itself: part of the edit that made them. */
  place: (positions: NodeLayout) => void;
  /** Replaces the document (load, new): a fresh history, the graph laid out afresh. */
  load: (definition: WorkflowDefinition, name: string) => void;
  rename: (name: string) => void;
  undo: () => void;
  redo: () => void;
}

export function useWorkflowDocument(initial: () => WorkflowDefinition): WorkflowDocument {
  const [state, setState] = useState<DocumentState>(() => ({ history: startHistory({ definition: initial(), layout: {} }), name: "untitled", epoch: 0 }));
  const change = useCallback(
    (step: (history: History<Snapshot>) => History<Snapshot>) => setState((current) => ({ ...current, history: step(current.history) })),
    [],
  );
  const update = useCallback(
    (edit: (definition: WorkflowDefinition) => WorkflowDefinition) =>
      change((history) => {
        const definition = edit(history.present.definition);
        return definition === history.present.definition ? history : record(history, { ...history.present, definition });
      }),
    [change],
  );
  const move = useCallback(
    (positions: NodeLayout) => change((history) => record(history, { ...history.present, layout: { ...history.present.layout, ...positions } })),
    [change],
  );
  const place = useCallback(
    (positions: NodeLayout) => change((history) => amend(history, { ...history.present, layout: { ...history.present.layout, ...positions } })),
    [change],
  );
  const load = useCallback(
    (definition: WorkflowDefinition, name: string) =>
      setState((current) => ({ history: startHistory({ definition, layout: {} }), name, epoch: current.epoch + 1 })),
    [],
  );
  const rename = useCallback((name: string) => setState((current) => ({ ...current, name })), []);
  const undoLast = useCallback(() => change(undo), [change]);
  const redoNext = useCallback(() => change(redo), [change]);
  const { history, name, epoch } = state;
  return useMemo(
    () => ({
      definition: history.present.definition,
      layout: history.present.layout,
      name,
      epoch,
      canUndo: history.past.length > 0,
      canRedo: history.future.length > 0,
      update,
      move,
      place,
      load,
      rename,
      undo: undoLast,
      redo: redoNext,
    }),
    [history, name, epoch, update, move, place, load, rename, undoLast, redoNext],
  );
}
