/**
 * The app shell: the definition being edited (shared by the editor and the run view, kept as a
 * draft in localStorage), the server's catalogue and validation, the API key, and the two views
 * (`/` or `/editor`, and `/run`). Both views stay mounted, so switching keeps the graph's layout
 * and a running pipeline's live view.
 */
import { useEffect, useMemo, useState } from "react";
import { ApiClient } from "../api.js";
import { Editor } from "../editor/Editor.js";
import type { WorkflowDefinition } from "../editor/definition.js";
import { RunView } from "../run/RunView.js";
import { ApiKeyDialog } from "./ApiKeyDialog.js";
import { useWorkflowDocument } from "./document.js";
import { useCatalogue, useValidation } from "./hooks.js";
import { loadDraft, saveDraft, storeApiKey, storedApiKey } from "./storage.js";

type View = "editor" | "run";

const STARTER: WorkflowDefinition = { version: "1.0", inputs: [{ type: "WorkflowImage", name: "image" }], steps: [], outputs: [] };

const viewOfPath = (path: string): View => (path.replace(/\/+$/, "") === "/run" ? "run" : "editor");

export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey);
  const [keyState, setKeyState] = useState<"ok" | "needed" | "refused">("ok");
  const client = useMemo(() => new ApiClient(apiKey, () => setKeyState(apiKey ? "refused" : "needed")), [apiKey]);
  const [view, setView] = useState<View>(() => viewOfPath(location.pathname));
  const edited = useWorkflowDocument(() => loadDraft() ?? STARTER);

  useEffect(() => saveDraft(edited.definition), [edited.definition]);
  useEffect(() => {
    const onPop = () => setView(viewOfPath(location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const { catalogue, error: catalogueError } = useCatalogue(client, edited.definition);
  const { validation, checking } = useValidation(client, edited.definition);

  const go = (next: View) => {
    setView(next);
    history.pushState(null, "", next === "run" ? "/run" : "/");
  };

  return (
    <div className="app">
      <header className="app-header">
        <h1>sightline</h1>
        <nav aria-label="Views" className="app-nav">
          <button type="button" aria-current={view === "editor" ? "page" : undefined} onClick={() => go("editor")}>
            Editor
          </button>
          <button type="button" aria-current={view === "run" ? "page" : undefined} onClick={() => go("run")}>
            Run
          </button>
        </nav>
        <span className="app-document" title="Workflow being edited">
          {edited.name} · {edited.definition.steps.length} step{edited.definition.steps.length === 1 ? "" : "s"}
        </span>
        {apiKey && (
          <button type="button" className="link" onClick={() => setKeyState("needed")}>
            Change API key
          </button>
        )}
      </header>
      <main className="app-main">
        <div className="view" hidden={view !== "editor"}>
          <Editor
            client={client}
            document={edited}
            catalogue={catalogue}
            catalogueError={keyState === "ok" ? catalogueError : null}
            validation={validation}
            checking={checking}
          />
        </div>
        <div className="view" hidden={view !== "run"}>
          <RunView client={client} definition={edited.definition} validation={validation} />
        </div>
      </main>
      {keyState !== "ok" && (
        <ApiKeyDialog
          refused={keyState === "refused"}
          onSubmit={(key) => {
            storeApiKey(key);
            setApiKey(key);
            setKeyState("ok");
          }}
        />
      )}
    </div>
  );
}
