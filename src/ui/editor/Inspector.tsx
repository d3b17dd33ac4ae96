/**
 * The properties of the selected node — a step's form generated from its block's schema, an
 * input's or an output's settings — or, with nothing selected, the workflow's inputs and outputs
 * with buttons to add them.
 */
import { useEffect, useId, useState } from "react";
import { lastName, NAME_PATTERN, parseSelector } from "../../definition/selectors.js";
import type { Catalogue } from "./catalogue.js";
import { CustomBlockCode } from "./CodeEditor.js";
import { customBlockCode, setCustomBlockCode } from "./custom-blocks.js";
import { FieldFrame, JsonField, PropertyField, type SelectorOption } from "./fields.js";
import type { InputDefinition, OutputDefinition, StepDefinition, WorkflowDefinition } from "./definition.js";
import { addInput, addOutput, removeNode, renameInput, renameStep, setStepProperty } from "./editing.js";
import { availableSelectors, inputNodeId, outputNodeId, stepNodeId } from "./graph.js";
import { propertyProblems, stepProblems, type Validation } from "./validation.js";

type Update = (change: (definition: WorkflowDefinition) => WorkflowDefinition) => void;

/** A name edited as text and applied on Enter or when leaving the field, if it is valid and free. */
function NameField({ label, name, taken, onRename }: { label: string; name: string; taken: string[]; onRename: (name: string) => void }) {
  const id = useId();
  const [text, setText] = useState(name);
  useEffect(() => setText(name), [name]);
  const problem =
    text === name ? null : !NAME_PATTERN.test(text) ? "Use letters, digits, '_' and '-' only." : taken.includes(text) ? `"${text}" is already used.` : null;
  const apply = () => {
    if (text !== name && problem === null) onRename(text);
  };
  return (
    <FieldFrame id={id} label={label} problems={problem ? [problem] : []}>
      {(describedBy) => (
        <input
          id={id}
          type="text"
          value={text}
          aria-describedby={describedBy}
          aria-invalid={problem !== null}
          onChange={(event) => setText(event.target.value)}
          onBlur={apply}
          onKeyDown={(event) => {
            if (event.key === "Enter") apply();
            if (event.key === "Escape") setText(name);
          }}
        />
      )}
    </FieldFrame>
  );
}

function StepInspector({
  step,
  definition,
  catalogue,
  validation,
  update,
  select,
}: {
  step: StepDefinition;
  definition: WorkflowDefinition;
  catalogue: Catalogue;
  validation: Validation;
  update: Update;
  select: (id: string | null) => void;
}) {
  const block = catalogue.byType.get(step.type);
  const selectors: SelectorOption[] = availableSelectors(definition, catalogue).filter((option) => {
    const selector = parseSelector(option.selector);
    return !(selector?.type === "output" && selector.step === step.name);
  });
  const known = new Set(block?.properties.map((property) => property.name) ?? []);
  const extras = Object.keys(step).filter((key) => key !== "type" && key !== "name" && !known.has(key));
  const stepWide = stepProblems(validation, step.name).filter((problem) => problem.property === null || problem.property === "type");
  const code = customBlockCode(definition, step.type);
  return (
    <div className="inspector-body">
      <header className="inspector-header">
        <h2>{block?.title ?? "Unknown block"}</h2>
        <code className="muted">{step.type}</code>
        {block?.description && <p className="muted">{block.description}</p>}
      </header>
      {stepWide.length > 0 && (
        <ul className="field-errors" aria-label="Step problems">
          {stepWide.map((problem) => (
            <li key={problem.message}>{problem.message}</li>
          ))}
        </ul>
      )}
      <NameField
        label="Step name"
        name={step.name}
        taken={definition.steps.map((other) => other.name)}
        onRename={(name) => {
          update((current) => renameStep(current, step.name, name));
          select(stepNodeId(name));
        }}
      />
      {code !== null && <CustomBlockCode block={block} code={code} onChange={(next) => update((current) => setCustomBlockCode(current, step.type, next))} />}
      {block?.properties.map((property) => (
        <PropertyField
          key={`${step.name}:${property.name}`}
          property={property}
          value={step[property.name]}
          problems={propertyProblems(validation, step.name, property.name)}
          selectors={selectors}
          onChange={(value) => update((current) => setStepProperty(current, step.name, property.name, value))}
        />
      ))}
      {extras.map((key) => (
        <ExtraProperty
          key={`${step.name}:${key}`}
          name={key}
          value={step[key]}
          problems={propertyProblems(validation, step.name, key)}
          onChange={(value) => update((current) => setStepProperty(current, step.name, key, value))}
        />
      ))}
      <button type="button" className="danger" onClick={() => update((current) => removeNode(current, stepNodeId(step.name)))}>
        Delete step
      </button>
    </div>
  );
}

/** A property the block does not declare (or of an unknown block): JSON, so it can be fixed or removed. */
function ExtraProperty({ name, value, problems, onChange }: { name: string; value: unknown; problems: string[]; onChange: (value: unknown) => void }) {
  const id = useId();
  return (
    <FieldFrame id={id} label={name} hint="Not a property of this block (edit or empty to remove)." problems={problems}>
      {(describedBy) => <JsonField id={id} value={value} onCommit={onChange} describedBy={describedBy} invalid={problems.length > 0} rows={2} />}
    </FieldFrame>
  );
}

const INPUT_TYPES = ["WorkflowImage", "WorkflowParameter", "WorkflowVideoMetadata", "WorkflowBatchInput"];

function InputInspector({
  input,
  definition,
  update,
  select,
}: {
  input: InputDefinition;
  definition: WorkflowDefinition;
  update: Update;
  select: (id: string | null) => void;
}) {
  const typeId = useId();
  const defaultId = useId();
  const replace = (next: InputDefinition) =>
    update((current) => ({ ...current, inputs: current.inputs.map((other) => (other.name === input.name ? next : other)) }));
  return (
    <div className="inspector-body">
      <header className="inspector-header">
        <h2>Input</h2>
      </header>
      <NameField
        label="Input name"
        name={input.name}
        taken={definition.inputs.map((other) => other.name)}
        onRename={(name) => {
          update((current) => renameInput(current, input.name, name));
          select(inputNodeId(name));
        }}
      />
      <FieldFrame id={typeId} label="Input type" problems={[]}>
        {() => (
          <select id={typeId} value={input.type} onChange={(event) => replace({ ...input, type: event.target.value })}>
            {[...new Set([input.type, ...INPUT_TYPES])].map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        )}
      </FieldFrame>
      {(input.type === "WorkflowParameter" || input.type === "InferenceParameter") && (
        <FieldFrame id={defaultId} label="Default value" hint="JSON: a number, a string in quotes, true, a list…" problems={[]}>
          {() => (
            <JsonField
              id={defaultId}
              value={input.default_value}
              rows={2}
              onCommit={(value) => {
                const { default_value: _previous, ...rest } = input;
                replace(value === undefined ? rest : { ...input, default_value: value });
              }}
            />
          )}
        </FieldFrame>
      )}
      <button type="button" className="danger" onClick={() => update((current) => removeNode(current, inputNodeId(input.name)))}>
        Delete input
      </button>
    </div>
  );
}

function OutputInspector({
  output,
  definition,
  catalogue,
  update,
  select,
}: {
  output: OutputDefinition;
  definition: WorkflowDefinition;
  catalogue: Catalogue;
  update: Update;
  select: (id: string | null) => void;
}) {
  const selectorId = useId();
  const replace = (next: OutputDefinition) =>
    update((current) => ({ ...current, outputs: current.outputs.map((other) => (other.name === output.name ? next : other)) }));
  const options = availableSelectors(definition, catalogue);
  return (
    <div className="inspector-body">
      <header className="inspector-header">
        <h2>Output</h2>
      </header>
      <NameField
        label="Output name"
        name={output.name}
        taken={definition.outputs.map((other) => other.name)}
        onRename={(name) => {
          replace({ ...output, name });
          select(outputNodeId(name));
        }}
      />
      <FieldFrame id={selectorId} label="Selector" problems={output.selector ? [] : ["Connect the output to an input or a step output."]}>
        {(describedBy) => (
          <select
            id={selectorId}
            value={output.selector}
            aria-describedby={describedBy}
            onChange={(event) => replace({ ...output, selector: event.target.value })}
          >
            <option value="">— connect —</option>
            {output.selector && !options.some((option) => option.selector === output.selector) && <option value={output.selector}>{output.selector}</option>}
            {options.map((option) => (
              <option key={option.selector} value={option.selector}>
                {option.selector}
              </option>
            ))}
          </select>
        )}
      </FieldFrame>
      <button type="button" className="danger" onClick={() => update((current) => removeNode(current, outputNodeId(output.name)))}>
        Delete output
      </button>
    </div>
  );
}

/** Adds an output: a name and what it returns. */
function AddOutputForm({
  definition,
  catalogue,
  update,
  select,
}: {
  definition: WorkflowDefinition;
  catalogue: Catalogue;
  update: Update;
  select: (id: string | null) => void;
}) {
  const nameId = useId();
  const selectorId = useId();
  const [name, setName] = useState("");
  const [selector, setSelector] = useState("");
  const options = availableSelectors(definition, catalogue);
  const chosen = parseSelector(selector);
  const fallbackName = chosen ? lastName(chosen) : "output";
  return (
    <form
      className="add-output"
      aria-label="Add output"
      onSubmit={(event) => {
        event.preventDefault();
        const added = addOutput(definition, name.trim() || fallbackName, selector);
        update(() => added.definition);
        select(outputNodeId(added.name));
        setName("");
        setSelector("");
      }}
    >
      <label htmlFor={selectorId}>Output selector</label>
      <select id={selectorId} value={selector} onChange={(event) => setSelector(event.target.value)}>
        <option value="">— connect later —</option>
        {options.map((option) => (
          <option key={option.selector} value={option.selector}>
            {option.selector}
          </option>
        ))}
      </select>
      <label htmlFor={nameId}>Output name</label>
      <input id={nameId} type="text" value={name} placeholder={fallbackName} onChange={(event) => setName(event.target.value)} />
      <button type="submit">Add output</button>
    </form>
  );
}

function WorkflowSummary({
  definition,
  catalogue,
  validation,
  update,
  select,
}: {
  definition: WorkflowDefinition;
  catalogue: Catalogue;
  validation: Validation;
  update: Update;
  select: (id: string | null) => void;
}) {
  const add = (type: string, name: string) => {
    const added = addInput(definition, type, name);
    update(() => added.definition);
    select(inputNodeId(added.name));
  };
  return (
    <div className="inspector-body">
      <header className="inspector-header">
        <h2>Workflow</h2>
        <p className="muted">
          Select a node to edit it. Drag from an output handle (right) to a property handle (left) to connect; Delete removes the selection.
        </p>
      </header>
      {validation.state === "invalid" && validation.general.length > 0 && (
        <ul className="field-errors" aria-label="Workflow problems">
          {validation.general.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      <h3>Inputs</h3>
      <ul className="summary-list">
        {definition.inputs.map((input) => (
          <li key={input.name}>
            <button type="button" className="link" onClick={() => select(inputNodeId(input.name))}>
              {input.name}
            </button>{" "}
            <span className="muted">{input.type}</span>
          </li>
        ))}
      </ul>
      <div className="button-row">
        <button type="button" onClick={() => add("WorkflowImage", "image")}>
          + Image input
        </button>
        <button type="button" onClick={() => add("WorkflowParameter", "parameter")}>
          + Parameter
        </button>
        <button type="button" onClick={() => add("WorkflowVideoMetadata", "video_metadata")}>
          + Video metadata
        </button>
      </div>
      <h3>Outputs</h3>
      <ul className="summary-list">
        {definition.outputs.map((output) => (
          <li key={output.name}>
            <button type="button" className="link" onClick={() => select(outputNodeId(output.name))}>
              {output.name}
            </button>{" "}
            <code className="muted">{output.selector || "not connected"}</code>
          </li>
        ))}
      </ul>
      <AddOutputForm definition={definition} catalogue={catalogue} update={update} select={select} />
    </div>
  );
}

export function Inspector(props: {
  selected: string | null;
  definition: WorkflowDefinition;
  catalogue: Catalogue;
  validation: Validation;
  update: Update;
  select: (id: string | null) => void;
}) {
  const { selected, definition } = props;
  const step = definition.steps.find((candidate) => stepNodeId(candidate.name) === selected);
  if (step) return <StepInspector key={step.name} step={step} {...props} />;
  const input = definition.inputs.find((candidate) => inputNodeId(candidate.name) === selected);
  if (input) return <InputInspector key={input.name} input={input} {...props} />;
  const output = definition.outputs.find((candidate) => outputNodeId(candidate.name) === selected);
  if (output) return <OutputInspector key={output.name} output={output} {...props} />;
  return <WorkflowSummary {...props} />;
}
