/**
 * The draft being edited, kept in the browser's localStorage (restored on reload); saved
 * workflows live on the server (`/build/api`). The API key lives in sessionStorage only: it is asked for
 * once per tab session and never outlives it.
 */
import { readDefinition, type WorkflowDefinition } from "../editor/definition.js";

const DRAFT = "sightline.draft";
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

export function storedApiKey(): string | null {
  return sessionStorage.getItem(API_KEY);
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(API_KEY, key);
}
