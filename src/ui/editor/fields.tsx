/**
 * Form fields generated from a block property's model (`schema.ts`): a selector picker, a
 * literal editor fitting the schema (enum, number, boolean, text, list of texts, JSON), or a
 * switch between the two; validation messages under the field.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { parseSelector } from "../../definition/selectors.js";
import { kindsCompatible } from "../../kinds/compatibility.js";
import { locateJsonError } from "./json-text.js";
import { defaultPlaceholder, type LiteralModel, type PropertyModel } from "./schema.js";

export interface SelectorOption {
  selector: string;
  kinds: string[];
}

interface FieldFrameProps {
  id: string;
  label: string;
  required?: boolean;
  hint?: string;
  problems: string[];
  extra?: ReactNode;
  children: (describedBy: string | undefined) => ReactNode;
}

/** Label, control, description and the field's validation messages. */
export function FieldFrame({ id, label, required, hint, problems, extra, children }: FieldFrameProps) {
  const errorId = `${id}-errors`;
  return (
    <div className={`field${problems.length > 0 ? " field-invalid" : ""}`}>
      <div className="field-head">
        <span>
          <label htmlFor={id} id={`${id}-label`}>
            {label}
          </label>
          {required && (
            <span className="required" title="required" aria-hidden="true">
              *
            </span>
          )}
        </span>
        {extra}
      </div>
      {children(problems.length > 0 ? errorId : undefined)}
      {hint && <p className="field-hint">{hint}</p>}
      {problems.length > 0 && (
        <ul id={errorId} className="field-errors">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** JSON text for values the form has no better control for; commits only valid JSON, and says where it is not. */
export function JsonField({
  id,
  value,
  onCommit,
  describedBy,
  invalid,
  rows = 4,
  placeholder,
}: {
  id: string;
  value: unknown;
  onCommit: (value: unknown) => void;
  describedBy?: string;
  invalid?: boolean;
  rows?: number;
  placeholder?: string;
}) {
  const serialised = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [text, setText] = useState(serialised);
  const committed = useRef(serialised);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (serialised !== committed.current) {
      committed.current = serialised;
      setText(serialised);
      setProblem(null);
    }
  }, [serialised]);
  const change = (next: string) => {
    setText(next);
    if (next.trim() === "") {
      committed.current = "";
      setProblem(null);
      onCommit(undefined);
      return;
    }
    const error = locateJsonError(next);
    if (error) {
      setProblem(`Line ${error.line}, column ${error.column}: ${error.message}`);
      return;
    }
    const parsed = JSON.parse(next) as unknown;
    committed.current = JSON.stringify(parsed, null, 2);
    setProblem(null);
    onCommit(parsed);
  };
  return (
    <>
      <textarea
        id={id}
        className="code"
        rows={rows}
        spellCheck={false}
        value={text}
        placeholder={placeholder}
        aria-invalid={invalid || problem !== null}
        aria-describedby={describedBy}
        onChange={(event) => change(event.target.value)}
      />
      {problem && <p className="field-errors">{problem}</p>}
    </>
  );
}

function numberOrUndefined(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function LiteralControl({
  id,
  model,
  value,
  onChange,
  describedBy,
  invalid,
  placeholder,
}: {
  id: string;
  model: LiteralModel;
  value: unknown;
  onChange: (value: unknown) => void;
  describedBy?: string;
  invalid: boolean;
  placeholder: string;
}) {
  const common = { id, "aria-describedby": describedBy, "aria-invalid": invalid };
  switch (model.type) {
    case "enum":
      return (
        <select
          {...common}
          value={typeof value === "string" ? value : ""}
          onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
        >
          <option value="">{placeholder || "—"}</option>
          {model.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      );
    case "number":
      return <NumberInput {...common} value={typeof value === "number" ? value : undefined} model={model} onChange={onChange} placeholder={placeholder} />;
    case "boolean":
      return (
        <select
          {...common}
          value={typeof value === "boolean" ? String(value) : ""}
          onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value === "true")}
        >
          <option value="">{placeholder || "—"}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    case "string":
      return (
        <input
          {...common}
          type="text"
          value={typeof value === "string" ? value : ""}
          placeholder={placeholder}
          onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
        />
      );
    case "string-list":
      return (
        <textarea
          {...common}
          rows={3}
          placeholder={placeholder ? `${placeholder} (one per line)` : "one per line"}
          value={Array.isArray(value) ? value.join("\n") : ""}
          onChange={(event) => {
            const lines = event.target.value.split("\n");
            onChange(event.target.value === "" ? undefined : lines);
          }}
        />
      );
    case "json":
      return <JsonField id={id} value={value} onCommit={onChange} describedBy={describedBy} invalid={invalid} placeholder={placeholder} />;
  }
}

/** Keeps the text being typed ("0.", "-") while committing numbers as they become valid. */
function NumberInput({
  value,
  model,
  onChange,
  placeholder,
  ...rest
}: {
  id: string;
  value: number | undefined;
  model: Extract<LiteralModel, { type: "number" }>;
  onChange: (value: unknown) => void;
  placeholder: string;
  "aria-describedby"?: string;
  "aria-invalid": boolean;
}) {
  const [text, setText] = useState(value === undefined ? "" : String(value));
  useEffect(() => {
    // Only an outside change of the value resets the text; with `text` as a dependency it would
    // also undo what the user is typing ("1e" is no number yet).
    if (numberOrUndefined(text) !== value) setText(value === undefined ? "" : String(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <input
      {...rest}
      type="number"
      step={model.integer ? 1 : "any"}
      min={model.minimum}
      max={model.maximum}
      placeholder={placeholder}
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        onChange(numberOrUndefined(event.target.value));
      }}
    />
  );
}

interface SelectorControlProps {
  id: string;
  value: unknown;
  options: SelectorOption[];
  onChange: (value: unknown) => void;
  describedBy?: string;
  invalid: boolean;
}

function SelectorControl({ id, value, options, onChange, describedBy, invalid }: SelectorControlProps) {
  const current = typeof value === "string" ? value : "";
  const known = options.some((option) => option.selector === current);
  return (
    <select
      id={id}
      aria-describedby={describedBy}
      aria-invalid={invalid}
      value={current}
      onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
    >
      <option value="">— connect —</option>
      {current && !known && <option value={current}>{current}</option>}
      {options.map((option) => (
        <option key={option.selector} value={option.selector}>
          {option.selector}
        </option>
      ))}
    </select>
  );
}

/** A list of selectors (e.g. the images of a grid): one picker per item, and one more to add. */
function SelectorListControl({ id, value, options, onChange, describedBy, invalid }: SelectorControlProps) {
  const items: unknown[] = Array.isArray(value) ? value : [];
  const update = (next: unknown[]) => onChange(next.length === 0 ? undefined : next);
  return (
    <div className="selector-list" id={id} role="group" aria-labelledby={`${id}-label`} aria-describedby={describedBy} aria-invalid={invalid}>
      {items.map((item, index) => (
        <div key={`${index}:${String(item)}`} className="selector-list-item">
          <code>{typeof item === "string" ? item : JSON.stringify(item)}</code>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove ${String(item)}`}
            onClick={() => update(items.filter((_, other) => other !== index))}
          >
            ✕
          </button>
        </div>
      ))}
      <select aria-label="Add a selector" value="" onChange={(event) => event.target.value && update([...items, event.target.value])}>
        <option value="">+ add…</option>
        {options.map((option) => (
          <option key={option.selector} value={option.selector}>
            {option.selector}
          </option>
        ))}
      </select>
    </div>
  );
}

type Mode = "selector" | "literal";

export function PropertyField({
  property,
  value,
  problems,
  selectors,
  onChange,
}: {
  property: PropertyModel;
  value: unknown;
  problems: string[];
  selectors: SelectorOption[];
  onChange: (value: unknown) => void;
}) {
  const id = useId();
  const dataSlots = property.slots.filter((slot) => slot.element === "data");
  const single = dataSlots.some((slot) => slot.container === "single");
  const list = !single && dataSlots.some((slot) => slot.container === "list");
  const accepted = [...new Set(dataSlots.flatMap((slot) => slot.kinds))];
  const compatible = selectors.filter((option) => kindsCompatible(accepted, option.kinds));
  const isSelector = parseSelector(value) !== null;
  const [chosen, setChosen] = useState<Mode | null>(null);
  const mode: Mode = single && (property.literal === null || (chosen ?? (isSelector ? "selector" : "literal")) === "selector") ? "selector" : "literal";
  const canSwitch = single && property.literal !== null;
  const invalid = problems.length > 0;
  const placeholder = defaultPlaceholder(property);
  const kindsHint = accepted.length > 0 ? `accepts ${accepted.join(", ")}` : "";
  const hint = [property.description, kindsHint].filter(Boolean).join(" — ");
  const switcher = canSwitch ? (
    <div className="mode-switch" role="group" aria-label={`${property.name} mode`}>
      {(["literal", "selector"] as const).map((option) => (
        <button
          key={option}
          type="button"
          aria-pressed={mode === option}
          onClick={() => {
            setChosen(option);
            if (option !== mode) onChange(undefined);
          }}
        >
          {option === "literal" ? "value" : "selector"}
        </button>
      ))}
    </div>
  ) : null;
  return (
    <FieldFrame id={id} label={property.name} required={property.required} hint={hint} problems={problems} extra={switcher}>
      {(describedBy) =>
        mode === "selector" ? (
          <SelectorControl id={id} value={value} options={compatible} onChange={onChange} describedBy={describedBy} invalid={invalid} />
        ) : list && property.literal === null ? (
          <SelectorListControl id={id} value={value} options={compatible} onChange={onChange} describedBy={describedBy} invalid={invalid} />
        ) : (
          <LiteralControl
            id={id}
            model={property.literal ?? { type: "json" }}
            value={value}
            onChange={onChange}
            describedBy={describedBy}
            invalid={invalid}
            placeholder={placeholder}
          />
        )
      }
    </FieldFrame>
  );
}
