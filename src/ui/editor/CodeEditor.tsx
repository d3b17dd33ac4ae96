/**
 * A JavaScript custom block's code in CodeMirror 6, with the block's inputs (what `run` receives)
 * and outputs (what it returns) shown above it (docs/guides/ui.md#code-editor). The editor keeps
 * its own undo history while it has the focus; each change is an edit of the definition.
 */
import { javascript } from "@codemirror/lang-javascript";
import { basicSetup, EditorView } from "codemirror";
import { useEffect, useRef } from "react";
import type { BlockInfo } from "./catalogue.js";
import { acceptedKinds } from "./schema.js";

function CodeMirror({ value, label, onChange }: { value: string; label: string; onChange: (code: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  useEffect(() => {
    changed.current = onChange;
  }, [onChange]);

  // Created once per mounted block; the text follows `value` below.
  useEffect(() => {
    const editor = new EditorView({
      doc: value,
      parent: host.current!,
      extensions: [
        basicSetup,
        javascript(),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) changed.current(update.state.doc.toString());
        }),
      ],
    });
    view.current = editor;
    return () => editor.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the first value only; later ones are dispatched
  }, [label]);

  // The definition changed elsewhere (undo, the JSON view): the editor shows it.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  return <div className="code-editor" ref={host} />;
}

function Ports({ ports }: { ports: { name: string; kinds: string[] }[] }) {
  if (ports.length === 0) return <span className="muted">none</span>;
  return (
    <>
      {ports.map((port) => (
        <span key={port.name} className="port" title={`kinds: ${port.kinds.join(", ")}`}>
          <code>{port.name}</code> <span className="muted">{port.kinds.join(" | ")}</span>
        </span>
      ))}
    </>
  );
}

export function CustomBlockCode({ block, code, onChange }: { block: BlockInfo | undefined; code: string; onChange: (code: string) => void }) {
  const blockType = block?.type ?? "custom block";
  const inputs = (block?.properties ?? []).map((property) => ({ name: property.name, kinds: acceptedKinds(property) ?? ["value"] }));
  return (
    <section className="custom-code" aria-label={`Code of ${blockType}`}>
      <h3>Code (JavaScript)</h3>
      <dl className="block-ports">
        <dt>run receives</dt>
        <dd aria-label="Block inputs">
          <Ports ports={inputs} />
        </dd>
        <dt>and returns</dt>
        <dd aria-label="Block outputs">
          <Ports ports={block?.outputs ?? []} />
        </dd>
      </dl>
      <CodeMirror value={code} label={`JavaScript code of ${blockType}`} onChange={onChange} />
    </section>
  );
}
