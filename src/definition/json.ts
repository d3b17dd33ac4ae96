/** A JSON object (not an array, not null): what every layer checks before reading keys of parsed JSON. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
