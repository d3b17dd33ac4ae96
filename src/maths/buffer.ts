/**
 * The buffer block's list (docs/reference/blocks.md#buffer): newest first, at most `length` items,
 * optionally padded with nulls to exactly `length`. Upstream pads its stored list in place and
 * hands out that very list; we keep the stored list unpadded and return fresh arrays — the same
 * values, with no aliasing between one frame's output and the next frame's state.
 */

/** The stored list after `value` arrives. A `length` ≤ 0 keeps nothing (as Python's `list[:length]` does here). */
export function pushNewestFirst<T>(buffer: readonly T[], value: T, length: number): T[] {
  return [value, ...buffer].slice(0, Math.max(0, length));
}

/** What the block outputs for a stored list. */
export function bufferOutput<T>(buffer: readonly T[], length: number, pad: boolean): (T | null)[] {
  const output: (T | null)[] = [...buffer];
  if (pad) while (output.length < length) output.push(null);
  return output;
}
