/**
 * Definitions kept in the browser's localStorage: the draft being edited (restored on reload)
 * and definitions saved under a name. The API key lives in sessionStorage only: it is asked for
 * once per tab session and never outlives it.
 */
import { readDefinition, type WorkflowDefinition } from "../editor/definition.js";

const DRAFT = "sightline.draft";
const SAVED = "sightline.saved";
const API_KEY = "sightline.apiKey";

function readJson(storage: Storage, key: string): unknown {
  try {
    const text = storage.getItem(key);
    return text === null ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

export function loadDraft(): WorkflowDefinition | null {
  const read = readDefinition(readJson(localStorage, DRAFT));
  return "definition" in read ? read.definition : null;
}

export function saveDraft(definition: WorkflowDefinition): void {
  localStorage.setItem(DRAFT, JSON.stringify(definition));
}

export function savedDefinitions(): Record<string, WorkflowDefinition> {
  const saved = readJson(localStorage, SAVED);
  if (typeof saved !== "object" || saved === null) return {};
  const entries = Object.entries(saved).flatMap(([name, value]): [string, WorkflowDefinition][] => {
    const read = readDefinition(value);
    return "definition" in read ? [[name, read.definition]] : [];
  });
  return Object.fromEntries(entries);
}

export function saveDefinition(name: string, definition: WorkflowDefinition): void {
  localStorage.setItem(SAVED, JSON.stringify({ ...savedDefinitions(), [name]: definition }));
}

export function deleteSavedDefinition(name: string): void {
  const { [name]: _removed, ...rest } = savedDefinitions();
  localStorage.setItem(SAVED, JSON.stringify(rest));
}

export function storedApiKey(): string | null {
  return sessionStorage.getItem(API_KEY);
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(API_KEY, key);
}
