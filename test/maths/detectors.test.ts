/**
 * The calibrated detectors' key properties on small seeded streams: no alarm on a static scene,
 * an alarm within 3 frames of a jump, one alarm per event, exact tail ranks, and the
 * false-alarm target's conversions. Rates are checked on seeded streams, so they are exact
 * numbers for that seed, asserted against a tolerance that a correct detector meets with room.
 */
import { describe, expect, it } from "vitest";
import { alarmsPerFrame } from "../../src/maths/detectors/false-alarm-rate.js";
import { DETECT_CHANGES_DEFAULTS, DETECT_OUTLIERS_DEFAULTS, type DetectorPreset } from "../../src/maths/detectors/presets.js";
import { detectorStep, initialDetectorState, type DetectorOutput, type DetectorParams, type DetectorState } from "../../src/maths/detectors/scene-detector.js";
import { addToTail, emptyTailSummary, kthLargest, TOP_PER_BLOCK, upperQuantile } from "../../src/maths/detectors/tail-quantile.js";

/** mulberry32 + Box–Muller: a small seeded generator for test streams. */
function seeded(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** A scene direction plus isotropic noise of norm ≈ sigma, in d dimensions. */
function noisyScene(random: ReturnType<typeof seeded>, d: number, sigma: number) {
  const direction = (): number[] => unit(Array.from({ length: d }, () => random.normal()));
  return {
    direction,
    frame: (mu: number[]): number[] => mu.map((m) => m + (sigma / Math.sqrt(d)) * random.normal()),
  };
}

function run(frames: number[][], params: DetectorParams): { outputs: DetectorOutput[]; state: DetectorState } {
  let state = initialDetectorState();
  const outputs = frames.map((frame) => {
    const result = detectorStep(state, frame, params);
    state = result.state;
    return result.output;
  });
  return { outputs, state };
}

const params = (preset: DetectorPreset, alarmRate: number): DetectorParams => ({ ...preset, alarmRate });

describe("tail quantile", () => {
  it("keeps the exact k largest across blocks and drops the oldest blocks", () => {
    const random = seeded(1);
    let tail = emptyTailSummary(0.01); // horizon 2000 = 32 blocks of 63
    const values: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const v = random.uniform();
      values.push(v);
      tail = addToTail(tail, v);
    }
    const sorted = [...values].sort((a, b) => b - a);
    for (const k of [1, 2, 7, TOP_PER_BLOCK]) expect(kthLargest(tail, k)).toBe(sorted[k - 1]);
    expect(tail.blockSize).toBe(63);
    for (let i = 0; i < 5000; i++) tail = addToTail(tail, 0);
    expect(tail.blocks).toHaveLength(32);
    expect(kthLargest(tail, 1)).toBe(0);
  });

  it("is the order statistic at rank q·(n+1), interpolated in log-rank, and null below rank 1", () => {
    let tail = emptyTailSummary(0.01);
    expect(upperQuantile(tail, 0.01)).toBeNull();
    for (let v = 1; v <= 1099; v++) tail = addToTail(tail, v);
    // n = 1099: rank 0.01·1100 = 11 exactly → the 11th largest, 1089
    expect(upperQuantile(tail, 0.01)).toBe(1089);
    tail = addToTail(tail, 1100);
    // n = 1100: rank 11.01 → between the 11th (1090) and 12th (1089) largest, log-rank position
    const position = Math.log(11.01 / 11) / Math.log(12 / 11);
    expect(upperQuantile(tail, 0.01)).toBeCloseTo(1090 - position, 12);
    expect(upperQuantile(emptyTailSummary(0.001), 0.001)).toBeNull();
  });

  it("a new value exceeds the threshold at the requested rate (conformal), whatever the distribution", () => {
    const random = seeded(7);
    const rate = 0.02;
    let tail = emptyTailSummary(rate);
    let exceed = 0;
    let scored = 0;
    for (let i = 0; i < 60_000; i++) {
      const value = Math.exp(3 * random.normal()); // heavy-tailed (log-normal)
      const threshold = upperQuantile(tail, rate);
      if (threshold !== null) {
        scored++;
        if (value > threshold) exceed++;
      }
      tail = addToTail(tail, value);
    }
    expect(exceed / scored / rate).toBeGreaterThan(0.9);
    expect(exceed / scored / rate).toBeLessThan(1.1);
  });
});

describe("false-alarm target", () => {
  it("is a rate per frame, or one per N minutes at the stream's fps", () => {
    expect(alarmsPerFrame({ falseAlarmRate: 0.002, minutesPerFalseAlarm: null, fps: null })).toBe(0.002);
    expect(alarmsPerFrame({ falseAlarmRate: null, minutesPerFalseAlarm: 10, fps: 30 })).toBe(1 / 18_000);
    expect(alarmsPerFrame({ falseAlarmRate: null, minutesPerFalseAlarm: null, fps: null })).toBe(0.001);
  });

  it("refuses contradictions and missing frame rates with a clear message", () => {
    expect(() => alarmsPerFrame({ falseAlarmRate: 0.01, minutesPerFalseAlarm: 5, fps: 30 })).toThrow(/not both/);
    expect(() => alarmsPerFrame({ falseAlarmRate: null, minutesPerFalseAlarm: 5, fps: null })).toThrow(/needs the stream's frame rate/);
    expect(() => alarmsPerFrame({ falseAlarmRate: 1.5, minutesPerFalseAlarm: null, fps: null })).toThrow(/\(0, 1\)/);
  });
});

describe("calibrated detectors", () => {
  const d = 16;

  it("a static scene (identical embeddings) never alarms, warms up, and keeps the threshold at the floor", () => {
    const still = unit(Array.from({ length: d }, (_, i) => i + 1));
    const { outputs } = run(
      Array.from({ length: 600 }, () => still),
      params(DETECT_OUTLIERS_DEFAULTS, 0.01),
    );
    expect(outputs.some((o) => o.is_outlier)).toBe(false);
    expect(outputs.at(-1)!.warming_up).toBe(false);
    expect(outputs.at(-1)!.threshold).toBe(DETECT_OUTLIERS_DEFAULTS.minThreshold);
    expect(Math.max(...outputs.map((o) => o.score))).toBeLessThan(1e-12);
  });

  it("a jump in a static scene alarms on its first frame, once, and the new scene becomes normal", () => {
    const a = unit(Array.from({ length: d }, (_, i) => i + 1));
    const b = unit(Array.from({ length: d }, (_, i) => (i % 3) - 1 + 0.1));
    const frames = [...Array.from({ length: 300 }, () => a), ...Array.from({ length: 400 }, () => b)];
    for (const preset of [DETECT_OUTLIERS_DEFAULTS, DETECT_CHANGES_DEFAULTS]) {
      const { outputs } = run(frames, params(preset, 0.01));
      const alarms = outputs.flatMap((o, t) => (o.is_outlier ? [t] : []));
      expect(alarms).toEqual([300]);
      expect(outputs[300 + preset.newSceneAfterFrames + 5].in_event).toBe(false);
    }
  });

  for (const [name, preset] of [
    ["detect_outliers", DETECT_OUTLIERS_DEFAULTS],
    ["detect_changes", DETECT_CHANGES_DEFAULTS],
  ] as const) {
    describe(name, () => {
      const random = seeded(name.length * 101);
      const scene = noisyScene(random, d, 0.1);
      const mu = scene.direction();
      const far = scene.direction();
      const rate = 0.01;
      const warm = Array.from({ length: 3000 }, () => scene.frame(mu));

      it("holds the false-alarm rate on a stationary stream", () => {
        const { outputs } = run([...warm, ...Array.from({ length: 20_000 }, () => scene.frame(mu))], params(preset, rate));
        const live = outputs.filter((o) => !o.warming_up);
        const measured = live.filter((o) => o.is_outlier).length / live.length;
        expect(measured / rate).toBeGreaterThan(0.75);
        expect(measured / rate).toBeLessThan(1.25);
      });

      it("holds the false-alarm rate when the noise is correlated over time (AR(1), ρ = 0.9)", () => {
        let noise = scene.frame(mu).map((x, j) => x - mu[j]);
        const frames = Array.from({ length: 25_000 }, () => {
          const fresh = scene.frame(mu).map((x, j) => x - mu[j]);
          noise = noise.map((x, j) => 0.9 * x + Math.sqrt(1 - 0.81) * fresh[j]);
          return mu.map((m, j) => m + noise[j]);
        });
        const live = run(frames, params(preset, rate)).outputs.filter((o) => !o.warming_up);
        const measured = live.filter((o) => o.is_outlier).length / live.length;
        expect(measured / rate).toBeGreaterThan(0.7);
        expect(measured / rate).toBeLessThan(1.3);
      });

      it("finds a persisting change within 3 frames and raises one alarm for it", () => {
        const frames = [...warm, ...Array.from({ length: 300 }, () => scene.frame(far))];
        const { outputs } = run(frames, params(preset, 0.001));
        const onset = warm.length;
        expect(outputs.slice(onset, onset + 3).some((o) => o.is_outlier)).toBe(true);
        expect(outputs.slice(onset, onset + 200).filter((o) => o.is_outlier)).toHaveLength(1);
      });

      it("raises one alarm for a flickering event within the cooldown", () => {
        const flicker = [far, far, mu, mu, mu, mu, far, mu, mu, mu, mu, far, far, mu].map((m) => scene.frame(m));
        const { outputs } = run([...warm, ...flicker, ...Array.from({ length: 30 }, () => scene.frame(mu))], params(preset, 0.001));
        expect(outputs.slice(warm.length).filter((o) => o.is_outlier)).toHaveLength(1);
      });

      it("raises a second alarm for a different event right after a false alarm", () => {
        const other = scene.direction();
        const frames = [...warm, scene.frame(far), scene.frame(mu), scene.frame(mu), scene.frame(mu), scene.frame(mu), scene.frame(other)];
        const { outputs } = run(frames, params(preset, 0.001));
        expect(outputs.slice(warm.length).map((o) => o.is_outlier)).toEqual([true, false, false, false, false, true]);
      });

      it("alarms for a change that begins on the frame after a false alarm, not taking it for that alarm's continuation", () => {
        const detectorParams = params(preset, rate);
        let { state } = run(warm, detectorParams);
        const step = (frame: number[]): DetectorOutput => {
          const result = detectorStep(state, frame, detectorParams);
          state = result.state;
          return result.output;
        };
        const reference = unit(state.reference!);
        const orthogonal = (...to: number[][]): number[] =>
          unit(to.reduce((v, w) => v.map((x, j) => x - v.reduce((dot, y, k) => dot + y * w[k], 0) * w[j]), scene.direction()));
        const u = orthogonal(reference);
        const v = orthogonal(reference, u);
        // a frame scoring s (1 − cos) against the reference, moved along an axis orthogonal to it
        const at = (s: number, axis: number[]): number[] => reference.map((r, j) => (1 - s) * r + Math.sqrt(1 - (1 - s) ** 2) * axis[j]);
        // frames on the reference until any earlier alarm's cooldown is over
        let threshold = 0;
        for (let i = 0; i < 40; i++) threshold = step(reference).threshold;
        // a noise-sized false alarm, then a change 2.6 thresholds out in another direction (3.75
        // thresholds from the alarm): it jumps to 2.3 × the alarm's score, so it is a new event
        const outputs = [step(at(1.15 * threshold, u)), step(at(2.6 * threshold, v))];
        expect(outputs.map((o) => o.is_outlier)).toEqual([true, true]);
      });

      it("a change into a much noisier scene raises one alarm, not one per cooldown", () => {
        const wide = seeded(11);
        const quiet = noisyScene(wide, 64, 0.05);
        const loud = noisyScene(wide, 64, 0.4);
        const [before, after] = [quiet.direction(), quiet.direction()];
        const frames = [...Array.from({ length: 3000 }, () => quiet.frame(before)), ...Array.from({ length: 2000 }, () => loud.frame(after))];
        const alarms = run(frames, params(preset, 0.001))
          .outputs.slice(3000)
          .filter((o) => o.is_outlier);
        // without re-learning the scale from the new scene this was an alarm every cooldown or so
        expect(alarms.length).toBeGreaterThanOrEqual(1);
        expect(alarms.length).toBeLessThanOrEqual(8);
      });

      it("ignores slow drift", () => {
        const axis = scene.direction();
        const drifting = Array.from({ length: 20_000 }, (_, t) => {
          const angle = (0.5 * t) / 20_000;
          return scene.frame(mu.map((m, j) => Math.cos(angle) * m + Math.sin(angle) * axis[j]));
        });
        const { outputs } = run([...warm, ...drifting], params(preset, 0.001));
        expect(outputs.filter((o) => o.is_outlier).length).toBeLessThanOrEqual(40);
      });
    });
  }

  it("warms up for about 1/rate frames after `warmup`, and a snapshot round-trip changes nothing", () => {
    const random = seeded(3);
    const scene = noisyScene(random, 8, 0.1);
    const mu = scene.direction();
    const frames = Array.from({ length: 1500 }, () => scene.frame(mu));
    const p = params(DETECT_OUTLIERS_DEFAULTS, 0.002);
    const { outputs, state } = run(frames, p);
    const firstLive = outputs.findIndex((o) => !o.warming_up);
    expect(firstLive).toBeGreaterThan(30 + 400);
    expect(firstLive).toBeLessThan(30 + 600);

    let restored = initialDetectorState();
    const viaJson = frames.map((frame) => {
      const result = detectorStep(JSON.parse(JSON.stringify(restored)) as DetectorState, frame, p);
      restored = result.state;
      return result.output;
    });
    expect(viaJson).toEqual(outputs);
    expect(JSON.stringify(state).length).toBeLessThan(30_000);
  });

  it("keeps its state bounded over a long stream", () => {
    const random = seeded(5);
    const scene = noisyScene(random, 8, 0.1);
    const mu = scene.direction();
    const { state } = run(
      Array.from({ length: 60_000 }, () => scene.frame(mu)),
      params(DETECT_CHANGES_DEFAULTS, 0.01),
    );
    expect(state.tail!.blocks.length).toBeLessThanOrEqual(32);
    expect(JSON.stringify(state).length).toBeLessThan(30_000);
  });

  it("refuses degenerate input and leaves the state untouched", () => {
    const p = params(DETECT_OUTLIERS_DEFAULTS, 0.01);
    const { state } = run([[1, 0, 0]], p);
    const before = JSON.stringify(state);
    expect(() => detectorStep(state, [0, 0, 0], p)).toThrow(/zero vector/);
    expect(() => detectorStep(state, [1, NaN, 0], p)).toThrow(/embedding\[1\] is NaN/);
    expect(() => detectorStep(state, [1, 0], p)).toThrow(/has 2 values/);
    expect(() => detectorStep(state, [1, 0, 0], { ...p, cooldownFrames: 0 })).toThrow(/cooldown_frames/);
    expect(JSON.stringify(state)).toBe(before);
  });
});
