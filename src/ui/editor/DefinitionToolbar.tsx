/**
 * Loading (bundled examples, a file, pasted text, workflows saved on the server), saving on the
 * server (`/build/api`, docs/guides/ui.md#saved-workflows) and downloading definitions.
 */
import { useCallback, useEffect, useId, useState } from "react";
import type { ApiClient } from "../api.js";
import { errorMessage } from "../app/hooks.js";
import type { WorkflowExample } from "../wire.js";
import { EMPTY_DEFINITION, readDefinition, type WorkflowDefinition } from "./definition.js";
import { locateJsonError } from "./json-text.js";

/** The definition in `text`, or a message saying where and why it is not one. */
export function definitionFromText(text: string): { definition: WorkflowDefinition } | { problem: string } {
  const error = locateJsonError(text);
  if (error) return { problem: `Not valid JSON — line ${error.line}, column ${error.column}: ${error.message}` };
  const read = readDefinition(JSON.parse(text) as unknown);
  return "problem" in read ? { problem: `Not a workflow definition: ${read.problem}` } : read;
}

/** A workflow name as a saved workflow's id (letters, digits, `_` and `-`). */
export const workflowId = (name: string) => name.trim().replace(/[^\w-]+/g, "_") || "untitled";

function download(name: string, definition: WorkflowDefinition): void {
  const blob = new Blob([`${JSON.stringify(definition, null, 2)}\n`], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${name.replace(/[^A-Za-z0-9_.-]+/g, "_") || "workflow"}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function DefinitionToolbar({
  client,
  definition,
  name,
  onNameChange,
  onLoad,
}: {
  client: ApiClient;
  definition: WorkflowDefinition;
  name: string;
  onNameChange: (name: string) => void;
  /** A whole new document (the graph is laid out afresh). */
  onLoad: (definition: WorkflowDefinition, name: string) => void;
}) {
  const [examples, setExamples] = useState<WorkflowExample[]>([]);
  const [saved, setSaved] = useState<Record<string, WorkflowDefinition>>({});
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [pasting, setPasting] = useState(false);
  const [pasted, setPasted] = useState("");
  const fileId = useId();
  const nameId = useId();

  useEffect(() => {
    client.examples().then(
      (loaded) => {
        setExamples(loaded);
        setMessage((current) => (current?.text.startsWith("Examples unavailable") ? null : current));
      },
      (error: unknown) => setMessage({ text: `Examples unavailable: ${errorMessage(error)}`, error: true }),
    );
  }, [client]);

  const refreshSaved = useCallback(
    () =>
      client.savedWorkflows().then(
        (entries) => {
          const definitions = Object.entries(entries).flatMap(([id, entry]): [string, WorkflowDefinition][] => {
            const read = readDefinition(entry.config.specification);
            return "definition" in read ? [[id, read.definition]] : [];
          });
          setSaved(Object.fromEntries(definitions));
        },
        (error: unknown) => setMessage({ text: `Saved workflows unavailable: ${errorMessage(error)}`, error: true }),
      ),
    [client],
  );
  useEffect(() => void refreshSaved(), [refreshSaved]);

  const load = (text: string, source: string): boolean => {
    const read = definitionFromText(text);
    if ("problem" in read) {
      setMessage({ text: `${source}: ${read.problem}`, error: true });
      return false;
    }
    onLoad(read.definition, source.replace(/\.json$/, ""));
    setMessage({ text: `Loaded ${source}.`, error: false });
    return true;
  };

  return (
    <div className="toolbar" role="toolbar" aria-label="Definition">
      <button type="button" onClick={() => onLoad(EMPTY_DEFINITION, "untitled")}>
        New
      </button>
      <select
        aria-label="Load example"
        value=""
        onChange={(event) => {
          const example = examples.find((candidate) => candidate.name === event.target.value);
          if (example) load(JSON.stringify(example.definition), example.name);
        }}
      >
        <option value="">Examples…</option>
        {examples.map((example) => (
          <option key={example.name} value={example.name}>
            {example.name}
          </option>
        ))}
      </select>
      <label htmlFor={fileId} className="button">
        Open file…
      </label>
      <input
        id={fileId}
        className="visually-hidden"
        type="file"
        accept=".json,application/json"
        aria-label="Open definition file"
        onChange={async (event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) load(await file.text(), file.name);
        }}
      />
      <button type="button" onClick={() => setPasting(!pasting)} aria-expanded={pasting}>
        Paste…
      </button>
      <span className="toolbar-separator" />
      <label htmlFor={nameId} className="visually-hidden">
        Workflow name
      </label>
      <input id={nameId} className="toolbar-name" type="text" value={name} onChange={(event) => onNameChange(event.target.value)} />
      <button
        type="button"
        onClick={async () => {
          const id = workflowId(name);
          try {
            await client.saveWorkflow(id, { id, specification: definition });
            setMessage({ text: `Saved "${id}" on the server.`, error: false });
            await refreshSaved();
          } catch (error) {
            setMessage({ text: `Not saved: ${errorMessage(error)}`, error: true });
          }
        }}
      >
        Save
      </button>
      <select
        aria-label="Open saved workflow"
        value=""
        onChange={(event) => {
          const key = event.target.value;
          if (saved[key]) {
            onLoad(saved[key], key);
            setMessage({ text: `Opened "${key}".`, error: false });
          }
        }}
      >
        <option value="">Saved…</option>
        {Object.keys(saved).map((key) => (
          <option key={key} value={key}>
            {key}
          </option>
        ))}
      </select>
      {workflowId(name) in saved && (
        <button
          type="button"
          onClick={async () => {
            try {
              await client.deleteWorkflow(workflowId(name));
              await refreshSaved();
            } catch (error) {
              setMessage({ text: `Not forgotten: ${errorMessage(error)}`, error: true });
            }
          }}
        >
          Forget
        </button>
      )}
      <button type="button" onClick={() => download(name.trim() || "workflow", definition)}>
        Download
      </button>
      {message && (
        <span role="status" className={message.error ? "toolbar-message error" : "toolbar-message"}>
          {message.text}
        </span>
      )}
      {pasting && (
        <form
          className="paste-panel"
          aria-label="Paste a definition"
          onSubmit={(event) => {
            event.preventDefault();
            if (load(pasted, "pasted")) {
              setPasting(false);
              setPasted("");
            }
          }}
        >
          <textarea
            className="code"
            rows={10}
            aria-label="Definition to paste"
            value={pasted}
            onChange={(event) => setPasted(event.target.value)}
            placeholder='{"version": "1.0", "inputs": [], "steps": [], "outputs": []}'
          />
          <div className="button-row">
            <button type="submit">Load</button>
            <button type="button" onClick={() => setPasting(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
