/**
 * Which frames of a video file ffmpeg pipes to us (the expressions for ffmpeg's `select` filter
 * are all written here): every n-th for `--sample-fps`, or, when the workflow's pixel demand is known
 * ahead (see `WorkflowEngine.pixelDemand`): the frames some step reads the pixels of, and the
 * last few declared frames and any after them, so the end of the file is always seen even when
 * the decoder gives a frame or two fewer than the container counts (edit lists). Pure
 * arithmetic, pinned by tests.
 */

/** ffmpeg's `select` filter gets at most this many terms; a demand more scattered pipes every frame. */
export const MAX_SELECT_TERMS = 32;

/** The last frames a container declares are piped whatever the demand (see the top). */
export const TAIL_FRAMES = 8;

/** The `select` expression keeping frames 1, 1 + every, 1 + 2·every, … (none for 1: every frame). */
export function everyNth(every: number): string | undefined {
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`every must be a positive integer, got ${every}`);
  return every > 1 ? `not(mod(n\\,${every}))` : undefined;
}

/** A run of frame numbers first, first + step, … (count of them). */
export interface Progression {
  first: number;
  step: number;
  count: number;
}

/** Ascending numbers as few arithmetic progressions as a greedy left-to-right pass finds. */
export function progressions(numbers: readonly number[]): Progression[] {
  const runs: Progression[] = [];
  let i = 0;
  while (i < numbers.length) {
    if (i + 1 === numbers.length) {
      runs.push({ first: numbers[i], step: 1, count: 1 });
      break;
    }
    const step = numbers[i + 1] - numbers[i];
    let j = i + 1;
    while (j + 1 < numbers.length && numbers[j + 1] - numbers[j] === step) j++;
    runs.push({ first: numbers[i], step, count: j - i + 1 });
    i = j + 1;
  }
  return runs;
}

/**
 * The `select` expression (ffmpeg's `n` counts decoded frames from 0) keeping the 1-based frame
 * numbers `demanded` (ascending, all below `tailFrom`) and every frame from `tailFrom` on; null
 * when it would need more than `MAX_SELECT_TERMS` terms. Commas are escaped for `-vf`.
 */
export function selectExpression(demanded: readonly number[], tailFrom: number): string | null {
  const runs = progressions(demanded);
  if (runs.length + 1 > MAX_SELECT_TERMS) return null;
  const terms = runs.map(({ first, step, count }) => {
    const from = first - 1;
    if (count === 1) return `eq(n\\,${from})`;
    const to = from + step * (count - 1);
    return step === 1 ? `between(n\\,${from}\\,${to})` : `between(n\\,${from}\\,${to})*not(mod(n-${from}\\,${step}))`;
  });
  terms.push(`gte(n\\,${tailFrom - 1})`);
  return terms.join("+");
}

/** The frames a file's decoder pipes, and the frame number of each piped frame in turn. */
export interface PipedFrames {
  /** For ffmpeg's `select` filter. */
  expression: string;
  /** 1-based number of the `k`-th piped frame (0-based `k`). */
  frameNumber(k: number): number;
}

/**
 * Plans the piping of a file of `totalFrames` (as its container declares) given which of them
 * are demanded (`demanded[i]` for frame i + 1): null when it saves too little to be worth it
 * (more than half the frames piped) or the demand is too scattered for one `select` expression.
 */
export function planPipedFrames(demanded: readonly boolean[], totalFrames: number): PipedFrames | null {
  const tailFrom = totalFrames - TAIL_FRAMES + 1;
  const numbers: number[] = [];
  for (let i = 0; i < tailFrom - 1; i++) if (demanded[i]) numbers.push(i + 1);
  if (numbers.length + TAIL_FRAMES > totalFrames / 2) return null;
  const expression = selectExpression(numbers, tailFrom);
  if (expression === null) return null;
  return {
    expression,
    frameNumber: (k) => (k < numbers.length ? numbers[k] : tailFrom + (k - numbers.length)),
  };
}
