import { describe, expect, it } from "vitest";
import { bufferOutput, pushNewestFirst } from "../../src/maths/buffer.js";
import { initialRateLimiterState, rateLimiterStep, videoTimeMicros, wallClockMicros, type RateLimiterState } from "../../src/maths/rate-limiter.js";

describe("rate limiter decision", () => {
  function decisions(times: number[], cooldownSeconds: number): boolean[] {
    let state: RateLimiterState = initialRateLimiterState();
    return times.map((now) => {
      const result = rateLimiterStep(state, now, cooldownSeconds);
      state = result.state;
      return result.pass;
    });
  }

  it("passes the first call, throttles within the cooldown, passes again once it elapsed", () => {
    // µs: 0 pass; 0.5 s throttled (measured from the last PASS); 1.0 s pass (not < 1); 1.9 s throttled; 2.0 s pass
    expect(decisions([0, 500_000, 1_000_000, 1_900_000, 2_000_000], 1)).toEqual([true, false, true, false, true]);
  });

  it("cooldown 0 passes everything; a clock that goes backwards throttles", () => {
    expect(decisions([5, 5, 5], 0)).toEqual([true, true, true]);
    expect(decisions([10_000_000, 9_000_000], 1)).toEqual([true, false]);
  });

  it("video time is 1/fps·frame_number rounded to the microsecond, as datetime.fromtimestamp", () => {
    expect(videoTimeMicros(1, 30)).toBe(33_333);
    expect(videoTimeMicros(31, 30)).toBe(1_033_333);
    expect(videoTimeMicros(90, 30)).toBe(3_000_000);
    // frames 1 and 31 at 30 fps: (1/30)·31 − 1/30 = 0.9999999999999999 s apart in floats, exactly
    // 1 s in microseconds → passes
    expect(decisions([videoTimeMicros(1, 30)!, videoTimeMicros(31, 30)!], 1)).toEqual([true, true]);
  });

  it("rounds half to even like Python (2/256 s = 7812.5 µs → 7812; 6/256 s = 23437.5 µs → 23438)", () => {
    expect(videoTimeMicros(2, 256)).toBe(7812);
    expect(videoTimeMicros(6, 256)).toBe(23438);
  });

  it("falls back to the wall clock (null) without fps, with fps 0, or out of datetime's range", () => {
    expect(videoTimeMicros(10, null)).toBeNull();
    expect(videoTimeMicros(10, 0)).toBeNull();
    expect(videoTimeMicros(10, 1e-300)).toBeNull();
  });

  it("a still image's synthetic metadata (frame 0) is video time 0: everything after the first is throttled", () => {
    const t = videoTimeMicros(0, 30)!;
    expect(t).toBe(0);
    expect(decisions([t, t, t], 1)).toEqual([true, false, false]);
  });

  it("converts the wall clock from milliseconds", () => {
    expect(wallClockMicros(1_700_000_000_123.456)).toBe(1_700_000_000_123_456);
  });
});

describe("buffer", () => {
  function outputs(values: number[], length: number, pad: boolean): (number | null)[][] {
    let buffer: number[] = [];
    return values.map((value) => {
      buffer = pushNewestFirst(buffer, value, length);
      return bufferOutput(buffer, length, pad);
    });
  }

  it("keeps the newest first, truncated to length (upstream's unit test)", () => {
    expect(outputs([1, 2, 3], 2, false)).toEqual([[1], [2, 1], [3, 2]]);
  });

  it("pads with null to exactly length", () => {
    expect(outputs([1, 2, 3], 3, true)).toEqual([
      [1, null, null],
      [2, 1, null],
      [3, 2, 1],
    ]);
  });

  it("keeps nothing for length ≤ 0, as Python's slice does", () => {
    expect(outputs([1, 2], 0, true)).toEqual([[], []]);
    expect(outputs([1, 2], -1, false)).toEqual([[], []]);
  });

  it("returns a new list every frame: an earlier output is not changed by later frames", () => {
    const buffer = pushNewestFirst([], 1, 2);
    const first = bufferOutput(buffer, 2, false);
    const later = pushNewestFirst(buffer, 2, 2);
    expect(bufferOutput(later, 2, false)).toEqual([2, 1]);
    expect(first).toEqual([1]);
  });
});
