/**
 * The definition as JSON text, in sync both ways: edits that form a definition replace it at
 * once (the graph follows); text that does not is kept as typed, with the place of the error
 * marked in the gutter and named under the text. Changes made elsewhere replace the text.
 */
import { useEffect, useRef, useState } from "react";
import { readDefinition, type WorkflowDefinition } from "./definition.js";
import { locateJsonError } from "./json-text.js";

interface Problem {
  line: number | null;
  message: string;
}

const pretty = (definition: WorkflowDefinition) => JSON.stringify(definition, null, 2);

export function JsonView({ definition, onChange }: { definition: WorkflowDefinition; onChange: (definition: WorkflowDefinition) => void }) {
  const [text, setText] = useState(() => pretty(definition));
  const [problem, setProblem] = useState<Problem | null>(null);
  // The definition this text produced (or was produced from): an identical one coming back is no outside change.
  const shown = useRef(definition);
  const gutter = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (definition === shown.current) return;
    shown.current = definition;
    setText(pretty(definition));
    setProblem(null);
  }, [definition]);

  const change = (next: string) => {
    setText(next);
    const error = locateJsonError(next);
    if (error) {
      setProblem({ line: error.line, message: `Line ${error.line}, column ${error.column}: ${error.message}` });
      return;
    }
    const read = readDefinition(JSON.parse(next) as unknown);
    if ("problem" in read) {
      setProblem({ line: null, message: `Valid JSON, but not a workflow definition: ${read.problem}` });
      return;
    }
    setProblem(null);
    shown.current = read.definition;
    onChange(read.definition);
  };

  const lines = text.split("\n").length;
  return (
    <section className="json-view" aria-label="Definition JSON">
      <div className="json-editor">
        <div className="json-gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, index) => (
            <div key={index} className={problem?.line === index + 1 ? "json-gutter-error" : undefined}>
              {index + 1}
            </div>
          ))}
        </div>
        <textarea
          className="code json-text"
          aria-label="Definition JSON text"
          aria-invalid={problem !== null}
          spellCheck={false}
          wrap="off"
          value={text}
          onChange={(event) => change(event.target.value)}
          onScroll={(event) => {
            if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
          }}
        />
      </div>
      {problem && (
        <p role="alert" className="json-problem">
          {problem.message}
        </p>
      )}
    </section>
  );
}
