/**
 * Which frames of a video file ffmpeg pipes to us (the expressions for ffmpeg's `select` filter
 * are all written here): every frame, or every n-th for `--sample-fps`, or, when the workflow's
 * pixel demand is known ahead (see `WorkflowEngine.pixelDemand`): the frames some step reads the
 * pixels of, and the last few declared frames and any after them, so the end of the file is
 * always seen even when the decoder gives a frame or two fewer than the container counts (edit
 * lists). A source started after frame N (`startAfterFrame`) pipes none of frames 1…N: ffmpeg
 * decodes them (a video needs them, and its `n` counts them as a run from the start does, so
 * every later frame keeps its number) but never converts or pipes them. Pure arithmetic, pinned
 * by tests.
 */

/** ffmpeg's `select` filter gets at most this many terms; a demand more scattered pipes every frame. */
export const MAX_SELECT_TERMS = 32;

/** The last frames a container declares are piped whatever the demand (see the top). */
export const TAIL_FRAMES = 8;

/** The frames a file's decoder pipes, and the frame number of each piped frame in turn. */
export interface PipedFrames {
  /** For ffmpeg's `select` filter; undefined: every frame. */
  expression: string | undefined;
  /** 1-based number of the `k`-th piped frame (0-based `k`). */
  frameNumber(k: number): number;
}

/**
 * Frames 1, 1 + every, 1 + 2·every, … (every frame for 1), those after frame `after` only: a
 * sampled frame keeps the number it has in a run from the start.
 */
export function sampledFrames(every: number, after = 0): PipedFrames {
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`every must be a positive integer, got ${every}`);
  const first = every * Math.ceil(after / every) + 1;
  // ffmpeg's n counts decoded frames from 0
  const terms = [...(first > 1 ? [`gte(n\\,${first - 1})`] : []), ...(every > 1 ? [`not(mod(n\\,${every}))`] : [])];
  return { expression: terms.length > 0 ? terms.join("*") : undefined, frameNumber: (k) => first + k * every };
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

/**
 * Plans the piping of a file of `totalFrames` (as its container declares) from frame `after` + 1
 * on, given which of those are demanded (`demanded[i]` for frame `after` + 1 + i): null when it
 * saves too little to be worth it (more than half of them piped) or the demand is too scattered
 * for one `select` expression.
 */
export function planPipedFrames(demanded: readonly boolean[], totalFrames: number, after = 0): PipedFrames | null {
  const tailFrom = Math.max(after + 1, totalFrames - TAIL_FRAMES + 1);
  const numbers: number[] = [];
  for (let frameNumber = after + 1; frameNumber < tailFrom; frameNumber++) if (demanded[frameNumber - after - 1]) numbers.push(frameNumber);
  if (numbers.length + (totalFrames - tailFrom + 1) > (totalFrames - after) / 2) return null;
  const expression = selectExpression(numbers, tailFrom);
  if (expression === null) return null;
  return {
    expression,
    frameNumber: (k) => (k < numbers.length ? numbers[k] : tailFrom + (k - numbers.length)),
  };
}
