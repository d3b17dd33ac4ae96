/**
 * The app shell: the definition being edited (shared by the editor and the run view, kept as a
 * draft in localStorage), the server's catalogue and validation, the API key, and the views
 * (`/` or `/editor`, `/run`, and `/record` — the Events page: `/events` is the API's). The views
 * stay mounted, so switching keeps the graph's layout and a running pipeline's live view.
 */
import { useEffect, useMemo, useState } from "react";
import { ApiClient } from "../api.js";
import { Editor } from "../editor/Editor.js";
import { EventsView } from "../events/EventsView.js";
import type { WorkflowDefinition } from "../editor/definition.js";
import { RunView } from "../run/RunView.js";
import { ApiKeyDialog } from "./ApiKeyDialog.js";
import { useWorkflowDocument } from "./document.js";
import { useCatalogue, useValidation } from "./hooks.js";
import { loadDraft, saveDraft, storeApiKey, storedApiKey } from "./storage.js";

type View = "editor" | "run" | "events";

/** Each view's path; the editor's is also every path no other view claims. */
const PATHS: Record<View, string> = { editor: "/", run: "/run", events: "/record" };
const VIEWS: [View, string][] = [
  ["editor", "Editor"],
  ["run", "Run"],
  ["events", "Events"],
];

const STARTER: WorkflowDefinition = { version: "1.0", inputs: [{ type: "WorkflowImage", name: "image" }], steps: [], outputs: [] };

const viewOfPath = (path: string): View => VIEWS.find(([view]) => view !== "editor" && PATHS[view] === path.replace(/\/+$/, ""))?.[0] ?? "editor";

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
    history.pushState(null, "", PATHS[next]);
  };

  return (
    <div className="app">
      <header className="app-header">
        <h1>sightline</h1>
        <nav aria-label="Views" className="app-nav">
          {VIEWS.map(([name, label]) => (
            <button key={name} type="button" aria-current={view === name ? "page" : undefined} onClick={() => go(name)}>
              {label}
            </button>
          ))}
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
          <RunView client={client} definition={edited.definition} catalogue={catalogue} validation={validation} />
        </div>
        <div className="view" hidden={view !== "events"}>
          <EventsView client={client} active={view === "events"} />
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
