/**
 * The launch post's use cases (docs/guides/examples.md), each run as the README says — the built
 * CLI on the file in `examples/` — with the tiny generated CLIP mapped to ViT-B-32 (`--model`),
 * generated images and videos, and a real webhook receiver on 127.0.0.1.
 *
 * The tiny CLIP's weights are random, so what an image "means" to it is not known in advance:
 * where an example ranks images against a text, the test asks `sightline embed` (another path
 * through the model) for the similarities first, then arranges the uploads and the burst so that
 * the answer is known and not at the first or last place. The videos' events are planted at known
 * frames on a still scene. The detector examples map their model ids to tiny generated YOLO
 * exports whose boxes are fixed, so what they find is known; which frames reach the detector, or
 * which model they reach, is what the examples decide.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CocoDataset } from "../../src/events/index.js";
import { cosineSimilarity } from "../../src/maths/vectors.js";
import { createTinyClipModel } from "../../src/models/testing/tiny-clip.js";
import { createTinyYoloModel, type TinyCandidate } from "../../src/models/testing/tiny-detector.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { runCli } from "../helpers/cli.js";
import { WebhookReceiver, type ReceivedRequest } from "../sinks/receiver.js";
import { scratchDir } from "../video/helpers.js";

const EXAMPLES = resolve(import.meta.dirname, "../../examples");

interface FrameLine {
  frame_number: number;
  outputs: Record<string, unknown>;
}

interface EmbedLine {
  type: "image" | "text";
  input: string;
  embedding: number[];
}

type Rgb = readonly [number, number, number];

/** The planted raccoon's colour, 0x8b5a2b. */
const RACCOON: Rgb = [0x8b, 0x5a, 0x2b];

const scratch = scratchDir("examples");
let model: string[];
let receiver: WebhookReceiver;

beforeAll(async () => {
  model = ["--model", `ViT-B-32=${await createTinyClipModel(join(scratch(), "tiny-clip"))}`, "--offline"];
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver?.close());

const example = (name: string): string => join(EXAMPLES, name);

async function solidImage(path: string, [r, g, b]: Rgb, width = 48, height = 36): Promise<string> {
  await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toFile(path);
  return path;
}

/** The cosine similarity of each image (rows) to each text (columns), through `sightline embed`. */
async function similarities(images: readonly string[], texts: readonly string[]): Promise<number[][]> {
  const result = await runCli(["embed", ...model, ...images.flatMap((image) => ["--image", image]), ...texts.flatMap((text) => ["--text", text])]);
  expect(result.code, result.stderr).toBe(0);
  const lines = result.lines as EmbedLine[];
  const embedding = (type: EmbedLine["type"], input: string): number[] => lines.find((line) => line.type === type && line.input === input)!.embedding;
  return images.map((image) => texts.map((text) => cosineSimilarity(embedding("image", image), embedding("text", text))));
}

/** The cosine similarity of each image to `text`. */
const similaritiesTo = async (text: string, images: readonly string[]): Promise<number[]> =>
  (await similarities(images, [text])).map(([similarity]) => similarity);

/** The colour of a base64 JPEG at (x, y), as a webhook received it. */
async function pixelAt(base64: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(Buffer.from(base64, "base64")).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
}

const jsonBodies = (requests: readonly ReceivedRequest[], path: string): Record<string, unknown>[] =>
  requests.filter((request) => request.url.pathname === path).map((request) => JSON.parse(request.body.toString()) as Record<string, unknown>);

const flaggedFrames = (lines: readonly FrameLine[], output = "is_outlier"): number[] =>
  lines.filter((line) => line.outputs[output] === true).map((line) => line.frame_number);

describe("examples/moderation.json: CLIP image vs the text NSFW, an expression, a webhook", () => {
  const colours: Record<string, Rgb> = { u1: [220, 40, 40], u2: [40, 200, 60], u3: [50, 60, 210], u4: [230, 210, 60] };

  it("flags the uploads at or above the threshold and sends exactly those to the webhook, image included", async () => {
    const ids = Object.keys(colours);
    const images = await Promise.all(ids.map((id) => solidImage(join(scratch(), `${id}.png`), colours[id])));
    const scores = await similaritiesTo("NSFW", images);
    // a threshold between the second and third most similar: the two most similar are flagged
    const ranked = [...scores].sort((a, b) => b - a);
    const threshold = (ranked[1] + ranked[2]) / 2;
    const flagged = ids.filter((_, i) => scores[i] >= threshold);
    expect(flagged).toHaveLength(2);
    const uploads = join(scratch(), "uploads.jsonl");
    await writeFile(uploads, ids.map((id, i) => JSON.stringify({ image: images[i], upload_id: id })).join("\n") + "\n");

    const hook = `${receiver.url}/moderation`;
    const result = await runCli([
      "run",
      example("moderation.json"),
      "--inputs",
      uploads,
      "--param",
      `webhook_url=${hook}`,
      "--param",
      `threshold=${threshold}`,
      ...model,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const outputs = (result.lines as { outputs: Record<string, unknown>[] }[]).map((line) => line.outputs[0]);
    ids.forEach((id, i) => {
      expect(outputs[i].similarity as number).toBeCloseTo(scores[i], 6);
      expect(outputs[i].verdict).toBe(flagged.includes(id) ? "FLAGGED" : "OK");
      expect(outputs[i].notification).toBe(flagged.includes(id) ? "Notification sent in the background task" : null);
    });

    const received = jsonBodies(receiver.requests, "/moderation");
    expect(received.map((body) => body.upload_id).sort()).toEqual(flagged);
    for (const body of received) {
      const i = ids.indexOf(body.upload_id as string);
      expect(body).toMatchObject({ concept: "NSFW", similarity: outputs[i].similarity });
      const centre = await pixelAt(body.image as string, 24, 18);
      centre.forEach((value, channel) => expect(Math.abs(value - colours[ids[i]][channel])).toBeLessThan(16));
    }

    // without a webhook_url it still gives its verdicts, and sends nothing
    const quiet = await runCli(["run", example("moderation.json"), "--inputs", uploads, "--param", `threshold=${threshold}`, ...model]);
    expect(quiet.code, quiet.stderr).toBe(0);
    const quietOutputs = (quiet.lines as { outputs: Record<string, unknown>[] }[]).map((line) => line.outputs[0]);
    expect(quietOutputs.map((output) => output.verdict)).toEqual(outputs.map((output) => output.verdict));
    expect(quietOutputs.every((output) => output.notification === null)).toBe(true);
    expect(jsonBodies(receiver.requests, "/moderation")).toHaveLength(2);
  });
});

describe("examples/similarity-scores.json: an image against several texts", () => {
  it("scores the image against every class, in order, and names the most similar", async () => {
    const classes = ["a red photo", "a green photo", "a blue photo"];
    const image = await solidImage(join(scratch(), "score.png"), [200, 120, 40]);
    const [expected] = await similarities([image], classes);
    const inputs = join(scratch(), "score.jsonl");
    await writeFile(inputs, `${JSON.stringify({ image })}\n`);
    const result = await runCli(["run", example("similarity-scores.json"), "--inputs", inputs, "--param", `classes=${JSON.stringify(classes)}`, ...model]);
    expect(result.code, result.stderr).toBe(0);
    const [outputs] = (result.lines as { outputs: Record<string, unknown>[] }[])[0].outputs as {
      classes: string[];
      similarities: number[];
      most_similar_class: string;
      max_similarity: number;
    }[];
    expect(outputs.classes).toEqual(classes);
    outputs.similarities.forEach((similarity, i) => expect(similarity).toBeCloseTo(expected[i], 6));
    const best = expected.indexOf(Math.max(...expected));
    expect(outputs.most_similar_class).toBe(classes[best]);
    expect(outputs.max_similarity).toBeCloseTo(expected[best], 6);
  });
});

describe("examples/best-photo.json: the best photo of a burst", () => {
  it("marks each photo better than every one before it; the last one marked is the best", async () => {
    const prompt = "a sharp, well-exposed photo";
    const palette: Rgb[] = [
      [200, 30, 30],
      [30, 200, 30],
      [30, 30, 200],
      [220, 220, 40],
      [120, 120, 120],
    ];
    const candidates = await Promise.all(palette.map((colour, i) => solidImage(join(scratch(), `candidate${i}.png`), colour)));
    const scores = await similaritiesTo(prompt, candidates);
    const byScore = palette.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
    // the burst: second best, worst, BEST, third, fourth — marked: photos 1 and 3
    const order = [byScore[1], byScore[4], byScore[0], byScore[2], byScore[3]];
    const burst = join(scratch(), "burst");
    await mkdir(burst);
    await Promise.all(order.map((candidate, i) => solidImage(join(burst, `IMG_${i + 1}.png`), palette[candidate])));
    const result = await runCli(["run", example("best-photo.json"), "--video", burst, "--flag-output", "is_best_so_far", ...model]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.lines as FrameLine[];
    lines.forEach((line, i) => expect(line.outputs.score as number).toBeCloseTo(scores[order[i]], 6));
    expect(flaggedFrames(lines, "is_best_so_far")).toEqual([1, 3]);
    expect(result.stderr).toMatch(/5 frames .*, 2 flagged/);
  });
});

describe("examples/bumped-camera.json: a camera knocked out of place", () => {
  it("raises one alarm, at the frame the view changes, and none while it calibrates", async () => {
    const video = join(scratch(), "bumped.mp4");
    // 2 fps, every frame sampled; from frame 80 on the lower third of the view is different
    await makeTestVideo(video, {
      width: 64,
      height: 48,
      fps: 2,
      frames: 100,
      anomalies: [{ from: 80, to: 100, color: "0x404040", box: { x: 0, y: 30, width: 64, height: 18 } }],
    });
    // one false alarm per 0.25 min at 2 fps: calibrated after about 30 + 30 frames
    const result = await runCli(["run", example("bumped-camera.json"), "--video", video, "--param", "minutes_per_false_alarm=0.25", ...model]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.lines as FrameLine[];
    expect(lines).toHaveLength(100);
    expect(lines.find((line) => line.frame_number === 79)?.outputs.warming_up).toBe(false);
    expect(flaggedFrames(lines)).toEqual([80]);
  });
});

describe("examples/hen-house.json: outliers to a webhook and the event record", () => {
  it("flags the planted visitors, sends exactly those frames to the webhook and keeps them as events", async () => {
    const video = join(scratch(), "hen-house.mp4");
    const raccoon = { x: 8, y: 16, width: 24, height: 24 };
    // 1 fps (the example samples one frame a second): a still scene, a raccoon on frames 70–71, a fox on frame 90
    await makeTestVideo(video, {
      width: 64,
      height: 48,
      fps: 1,
      frames: 100,
      anomalies: [
        { from: 70, to: 71, color: "0x8b5a2b", box: raccoon },
        { from: 90, color: "orange", box: { x: 32, y: 8, width: 24, height: 32 } },
      ],
    });
    const events = join(scratch(), "events");
    const hook = `${receiver.url}/hen-house`;
    const result = await runCli([
      "run",
      example("hen-house.json"),
      "--video",
      `coop=${video}`,
      "--param",
      `webhook_url=${hook}`,
      "--param",
      "minutes_per_false_alarm=0.5",
      "--events",
      events,
      ...model,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.lines as FrameLine[];
    expect(flaggedFrames(lines)).toEqual([70, 90]);
    for (const line of lines) expect(line.outputs.notification).toBe(line.outputs.is_outlier ? "Notification sent in the background task" : null);

    const received = jsonBodies(receiver.requests, "/hen-house").sort((a, b) => (a.frame_number as number) - (b.frame_number as number));
    expect(received.map((body) => body.frame_number)).toEqual([70, 90]);
    for (const body of received) {
      const line = lines.find((candidate) => candidate.frame_number === body.frame_number)!;
      expect(body).toMatchObject({ event: "hen_house_outlier", score: line.outputs.score });
      expect(typeof body.frame_timestamp).toBe("string");
    }
    // the first webhook's image is frame 70: the raccoon's colour at the middle of its box
    const centre = await pixelAt(received[0].image as string, raccoon.x + raccoon.width / 2, raccoon.y + raccoon.height / 2);
    centre.forEach((value, channel) => expect(Math.abs(value - RACCOON[channel])).toBeLessThan(16));

    const dataset = join(scratch(), "dataset");
    const exported = await runCli(["events", "export", "--events", events, "--out", dataset]);
    expect(exported.code, exported.stderr).toBe(0);
    const coco = JSON.parse(await readFile(join(dataset, "annotations.json"), "utf8")) as CocoDataset;
    expect(coco.images.map((image) => [image.sightline.source, image.sightline.frame_number]).sort()).toEqual([
      ["coop", 70],
      ["coop", 90],
    ]);
    for (const image of coco.images) expect((await sharp(join(dataset, "images", image.file_name)).metadata()).format).toBe("jpeg");
  });
});

/** A tiny YOLO export (64×64 input) in `name`, finding the given boxes on any image. */
const tinyDetector = (name: string, classNames: string[], candidates: TinyCandidate[]): Promise<string> =>
  createTinyYoloModel(join(scratch(), name), { classNames, candidates });

/** A folder of 64×64 frames, frame n (from 1) in colour `palette[order[n - 1]]`. */
async function framesFolder(name: string, palette: readonly Rgb[], order: readonly number[]): Promise<string> {
  const folder = join(scratch(), name);
  await mkdir(folder);
  await Promise.all(order.map((colour, i) => solidImage(join(folder, `frame_${i + 1}.png`), palette[colour], 64, 64)));
  return folder;
}

const classesOf = (predictions: unknown): string[] => (predictions as { predictions: { class: string }[] }).predictions.map((prediction) => prediction.class);

/** Colours close to no box or label colour of the DEFAULT palette. */
const SCENES: Rgb[] = [
  [120, 120, 120],
  [40, 160, 60],
  [60, 60, 160],
  [200, 180, 40],
];

/** Each scene's similarity to `text`, through `sightline embed`. */
const sceneScores = async (text: string): Promise<number[]> =>
  similaritiesTo(text, await Promise.all(SCENES.map((colour, i) => solidImage(join(scratch(), `scene${i}.png`), colour, 64, 64))));

/** A detector example run on a folder of frames: the tiny CLIP and the `detectors` mapped, image outputs to JPEG files. */
async function runOnFrames(name: string, frames: string, threshold: number, detectors: Record<string, string>): Promise<FrameLine[]> {
  const result = await runCli([
    "run",
    example(`${name}.json`),
    "--video",
    frames,
    "--param",
    `threshold=${threshold}`,
    "--out",
    join(scratch(), `${name}-out`),
    ...model,
    ...Object.entries(detectors).flatMap(([id, folder]) => ["--model", `${id}=${folder}`]),
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.lines as FrameLine[];
}

describe("examples/skip-blurry.json: the detector runs only on frames that do not look blurry", () => {
  it("skips the frame most similar to 'a blurry photo' and draws the boxes and labels on the others", async () => {
    const scores = await sceneScores("a blurry photo");
    const byScore = SCENES.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
    const threshold = (scores[byScore[0]] + scores[byScore[1]]) / 2;
    // frame 2 is the blurriest scene; frames 1 and 3 are below the threshold
    const order = [byScore[1], byScore[0], byScore[2]];
    const frames = await framesFolder("skip-blurry", SCENES, order);
    const detector = await tinyDetector(
      "yolo-skip",
      ["person", "car"],
      [
        { cx: 20, cy: 40, w: 16, h: 20, scores: [0.9, 0] }, // person (12, 30)–(28, 50)
        { cx: 48, cy: 52, w: 16, h: 16, scores: [0, 0.8] }, // car (40, 44)–(56, 60)
      ],
    );
    const lines = await runOnFrames("skip-blurry", frames, threshold, { "yolov8n-640": detector });
    lines.forEach((line, i) => expect(line.outputs.blur_score as number).toBeCloseTo(scores[order[i]], 6));
    expect(lines.map((line) => (line.outputs.predictions === null ? null : classesOf(line.outputs.predictions)))).toEqual([
      ["person", "car"],
      null,
      ["person", "car"],
    ]);
    expect(lines[1].outputs.annotated).toBeNull();

    // frame 1: each label above its box's top-left corner, in its class's DEFAULT colour; the scene elsewhere
    const annotated = (await readFile(lines[0].outputs.annotated as string)).toString("base64");
    const near = async (x: number, y: number, colour: Rgb): Promise<void> =>
      (await pixelAt(annotated, x, y)).forEach((value, channel) => expect(Math.abs(value - colour[channel])).toBeLessThan(40));
    await near(14, 28, [0xa3, 0x51, 0xfb]); // person's label, in its padding
    await near(42, 42, [0xff, 0x40, 0x40]); // car's label
    await near(4, 60, SCENES[order[0]]);
  });
});

describe("examples/summer-winter.json: the frame's similarity to snow picks the detector", () => {
  it("sends snowy frames to the winter model and the others to the summer model", async () => {
    const scores = await sceneScores("a photo of snow");
    const byScore = SCENES.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
    const threshold = (scores[byScore[1]] + scores[byScore[2]]) / 2;
    // frames 1 and 4 are the two snowiest scenes
    const order = [byScore[0], byScore[2], byScore[3], byScore[1]];
    const frames = await framesFolder("summer-winter", SCENES, order);
    const box = { cx: 32, cy: 40, w: 20, h: 20 };
    const summer = await tinyDetector("yolo-summer", ["person", "bicycle"], [{ ...box, scores: [0, 0.9] }]);
    const winter = await tinyDetector("yolo-winter", ["person", "sled"], [{ ...box, scores: [0, 0.9] }]);
    const lines = await runOnFrames("summer-winter", frames, threshold, { "summer-detector/1": summer, "winter-detector/1": winter });
    lines.forEach((line, i) => expect(line.outputs.snow_similarity as number).toBeCloseTo(scores[order[i]], 6));
    expect(lines.map((line) => line.outputs.model_id)).toEqual(["winter-detector/1", "summer-detector/1", "summer-detector/1", "winter-detector/1"]);
    expect(lines.map((line) => classesOf(line.outputs.predictions))).toEqual([["sled"], ["bicycle"], ["bicycle"], ["sled"]]);
    for (const line of lines) expect(await sharp(line.outputs.annotated as string).metadata()).toMatchObject({ format: "jpeg", width: 64, height: 64 });
  });
});
