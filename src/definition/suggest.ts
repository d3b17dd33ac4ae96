/**
 * "Did you mean …?" for a name that matches nothing: the known names a few edits away. One helper
 * for every place that names things — block types and step properties (the compiler), and the
 * CLI's `--param`, `--model`, `--video-output` and `--flag-output` names.
 */

/**
 * The known names close to `name`, closest first, at most `limit`: a few edits away (case
 * ignored), or — one edit worse — a few edits from the start of a longer name, since people
 * abbreviate (`tresh` for `threshold`).
 */
export function closestNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const needle = name.toLowerCase();
  return [...new Set(known)]
    .map((candidate) => ({ candidate, distance: distanceTo(needle, candidate.toLowerCase()) }))
    .filter((close): close is { candidate: string; distance: number } => close.distance !== null)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** `' Did you mean "x" or "y"?'`, or `""` when no known name is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = closestNames(name, known).map((candidate) => `"${candidate}"`);
  return close.length > 0 ? ` Did you mean ${close.join(" or ")}?` : "";
}

/** Shortest abbreviation worth matching against a name's start: shorter ones match too much. */
const MIN_ABBREVIATION = 4;

/** Edits allowed between strings of this length for them to count as close. */
function tolerance(length: number): number {
  return Math.max(2, Math.floor(length / 5));
}

/** How far `needle` is from `candidate`, as a whole or as its start; null when not close. */
function distanceTo(needle: string, candidate: string): number | null {
  const whole = editDistance(needle, candidate);
  if (whole <= tolerance(candidate.length)) return whole;
  if (needle.length < MIN_ABBREVIATION || candidate.length <= needle.length + 1) return null;
  const start = Math.min(...[needle.length - 1, needle.length, needle.length + 1].map((length) => editDistance(needle, candidate.slice(0, length))));
  return start + 1 <= tolerance(needle.length) ? start + 1 : null;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}
