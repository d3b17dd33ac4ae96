/** Image inputs (base64, URL over real HTTP, file) and image outputs (JPEG base64). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/index.js";
import { tempDir } from "../helpers/cli.js";
import { output, workflow } from "../helpers/test-blocks.js";
import { rejectionOf } from "../helpers/errors.js";

const echo = workflow({
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "PropertyDefinition", name: "size", data: "$inputs.image", operations: [{ type: "ExtractImageProperty", property_name: "width" }] }],
  outputs: [output("width", "$steps.size.output"), output("image", "$inputs.image")],
});

let png: Buffer;
let server: Server;
let base: string;

beforeAll(async () => {
  // Left half red, right half blue, 8×4.
  const pixels = Buffer.alloc(8 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) pixels.set(x < 4 ? [255, 0, 0] : [0, 0, 255], (y * 8 + x) * 3);
  png = await sharp(pixels, { raw: { width: 8, height: 4, channels: 3 } })
    .png()
    .toBuffer();
  server = createServer((request, response) => {
    if (request.url === "/image.png") {
      response.writeHead(200, { "content-type": "image/png", "content-length": png.length }).end(png);
    } else if (request.url === "/unannounced.png") {
      // No Content-Length: the size is known only as the bytes come.
      response.writeHead(200, { "content-type": "image/png" });
      response.write(png);
      response.end();
    } else {
      response.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("image inputs", () => {
  it("decodes base64 (plain and data-URL) to RGB pixels with the input name as parent id", async () => {
    const engine = compile(echo);
    for (const value of [png.toString("base64"), `data:image/png;base64,${png.toString("base64")}`]) {
      const [result] = await engine.run({ image: { type: "base64", value } });
      expect(result.width).toBe(8);
      const image = result.image as { data: Uint8Array; parentId: string };
      expect(image.parentId).toBe("image");
      expect([...image.data.slice(0, 3)]).toEqual([255, 0, 0]);
      expect([...image.data.slice(7 * 3, 7 * 3 + 3)]).toEqual([0, 0, 255]);
    }
  });

  it("downloads URLs over HTTP and names batch elements image.[i]", async () => {
    const results = await compile(echo).run({
      image: [
        { type: "url", value: `${base}/image.png` },
        { type: "url", value: `${base}/image.png` },
      ],
    });
    expect(results.map((r) => (r.image as { parentId: string }).parentId)).toEqual(["image.[0]", "image.[1]"]);
  });

  it("reads local files where allowed and refuses them where not", async () => {
    const path = join(tempDir(), "a.png");
    await sharp(png).toFile(path);
    expect((await compile(echo).run({ image: path }))[0].width).toBe(8);
    const locked = compile(echo, { imageLoading: { allowLocalFiles: false } });
    const error = await rejectionOf(locked.run({ image: { type: "file", value: path } }));
    expect(error.errorType).toBe("RuntimeInputError");
    expect(error.message).toMatch(/local file paths are not accepted/);
  });

  it("says which input and what is wrong with a bad image", async () => {
    const engine = compile(echo);
    const notBase64 = await rejectionOf(
      engine.run({
        image: [
          { type: "base64", value: png.toString("base64") },
          { type: "base64", value: "!!!" },
        ],
      }),
    );
    expect(notBase64.errorType).toBe("RuntimeInputError");
    expect(notBase64.message).toContain('"image.[1]"');
    const notImage = await rejectionOf(engine.run({ image: { type: "base64", value: Buffer.from("hello").toString("base64") } }));
    expect(notImage.message).toMatch(/could not decode image/);
    const missing = await rejectionOf(engine.run({ image: { type: "url", value: `${base}/missing.png` } }));
    expect(missing.message).toMatch(/HTTP 404/);
  });

  it("refuses images beyond the pixel and aspect-ratio limits from their header, naming the input, the size, the limit and its setting", async () => {
    const tall = (
      await sharp({ create: { width: 2, height: 9, channels: 3, background: "#000" } })
        .png()
        .toBuffer()
    ).toString("base64");
    const limited = compile(echo, { imageLoading: { maxImagePixels: 31 } });
    const pixels = await rejectionOf(
      limited.run({
        image: [
          { type: "base64", value: tall },
          { type: "base64", value: png.toString("base64") },
        ],
      }),
    );
    expect(pixels.errorType).toBe("RuntimeInputError");
    expect(pixels.message).toBe(
      'Input "image.[1]": image is 8x4 = 32 pixels, more than the limit of 31 (set by --max-image-pixels, or maxImagePixels in the library)',
    );
    const aspect = await rejectionOf(compile(echo, { imageLoading: { maxAspectRatio: 4 } }).run({ image: { type: "base64", value: tall } }));
    expect(aspect.message).toBe(
      'Input "image": image is 2x9, an aspect ratio of 4.5:1, more than the limit of 4:1 (set by --max-aspect-ratio, or maxAspectRatio in the library)',
    );
    // The defaults (40 megapixels, 100:1) let both through.
    expect((await compile(echo).run({ image: { type: "base64", value: tall } }))[0].width).toBe(2);
  });

  it("stops a download at the byte limit, announced or not", async () => {
    const engine = compile(echo, { imageLoading: { maxBytes: png.length - 1 } });
    const announced = await rejectionOf(engine.run({ image: { type: "url", value: `${base}/image.png` } }));
    expect(announced.message).toBe(
      `Input "image": image at ${base}/image.png announces ${png.length} bytes (Content-Length), more than the limit of ${png.length - 1} bytes (set by --max-image-download-mb, or maxBytes in the library)`,
    );
    const streamed = await rejectionOf(engine.run({ image: { type: "url", value: `${base}/unannounced.png` } }));
    expect(streamed.message).toBe(
      `Input "image": image at ${base}/unannounced.png is more than the limit of ${png.length - 1} bytes (set by --max-image-download-mb, or maxBytes in the library)`,
    );
    expect((await compile(echo, { imageLoading: { maxBytes: png.length } }).run({ image: { type: "url", value: `${base}/unannounced.png` } }))[0].width).toBe(
      8,
    );
  });

  it("honours video metadata given with the image", async () => {
    const definition = workflow({
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [
        { type: "PropertyDefinition", name: "n", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "seconds_since_start" }] },
      ],
      outputs: [output("seconds", "$steps.n.output")],
    });
    const [result] = await compile(definition).run({
      image: {
        type: "base64",
        value: png.toString("base64"),
        video_metadata: { video_identifier: "cam", frame_number: 31, frame_timestamp: "2026-01-01T00:00:01Z", fps: 30 },
      },
    });
    expect(result.seconds).toBe(1);
  });
});

describe("image outputs", () => {
  it("serialise as {type: base64, value: JPEG} with video metadata", async () => {
    const [result] = await compile(echo).runSerialised({ image: { type: "base64", value: png.toString("base64") } });
    const image = result.image as { type: string; value: string; video_metadata: Record<string, unknown> };
    expect(image.type).toBe("base64");
    const jpeg = Buffer.from(image.value, "base64");
    expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const { info, data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([8, 4]);
    expect(data[0]).toBeGreaterThan(200); // still red on the left
    expect(image.video_metadata).toMatchObject({ video_identifier: "image", frame_number: 0, fps: 30 });
  });

  it("serialise an image JPEG cannot hold (a side beyond 65500 pixels) as PNG", async () => {
    const wide = await sharp({ create: { width: 70_000, height: 1, channels: 3, background: "#369" } })
      .png()
      .toBuffer();
    const [result] = await compile(echo, { imageLoading: { maxAspectRatio: 70_000 } }).runSerialised({
      image: { type: "base64", value: wide.toString("base64") },
    });
    const value = Buffer.from((result.image as { value: string }).value, "base64");
    const metadata = await sharp(value).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["png", 70_000, 1]);
  });

  it("emit NaN and infinities as null, like upstream's orjson", async () => {
    const definition = workflow({
      inputs: [{ type: "WorkflowParameter", name: "x" }],
      steps: [{ type: "PropertyDefinition", name: "d", data: "$inputs.x", operations: [{ type: "Multiply", other: 1e308 }] }],
      outputs: [output("big", "$steps.d.output")],
    });
    expect(await compile(definition).runSerialised({ x: 10 })).toEqual([{ big: null }]);
  });
});

// docs/reference/workflows.md#frame-timestamps
describe("frame timestamps", () => {
  const timestampOf = workflow({
    inputs: [
      { type: "WorkflowVideoMetadata", name: "metadata" },
      { type: "WorkflowImage", name: "image" },
    ],
    steps: [
      {
        type: "PropertyDefinition",
        name: "iso",
        data: "$inputs.image",
        operations: [{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }, { type: "TimestampToISOFormat" }],
      },
    ],
    outputs: [output("metadata", "$inputs.metadata"), output("iso", "$steps.iso.output"), output("image", "$inputs.image")],
  });
  const run = async (frame_timestamp: unknown) => {
    const video_metadata = { video_identifier: "cam", frame_number: 1, frame_timestamp };
    const [result] = await compile(timestampOf).runSerialised({
      metadata: video_metadata,
      image: { type: "base64", value: png.toString("base64"), video_metadata },
    });
    return { iso: result.iso, serialised: (result.image as { video_metadata: { frame_timestamp: string } }).video_metadata.frame_timestamp };
  };

  it.each([
    ["a naive time keeps its microseconds and stays naive", "2024-09-17T10:01:15.123456", "2024-09-17T10:01:15.123456"],
    ["an aware time keeps its offset", "2024-09-17T10:01:15.5+02:00", "2024-09-17T10:01:15.500000+02:00"],
    ["Z is UTC", "2024-09-17T10:01:15Z", "2024-09-17T10:01:15+00:00"],
    ["a date alone is midnight", "2024-09-17", "2024-09-17T00:00:00"],
    ["a Unix time in seconds is aware UTC", 1726570875.25, "2024-09-17T11:01:15.250000+00:00"],
    ["a numeric string is a Unix time", "1", "1970-01-01T00:00:01+00:00"],
    ["a Unix time above 2·10¹⁰ is in milliseconds", 1726570875250, "2024-09-17T11:01:15.250000+00:00"],
  ])("%s", async (_, given, expected) => {
    expect(await run(given)).toEqual({ iso: expected, serialised: expected });
  });

  it("refuses text that is no date with RuntimeInputError", async () => {
    const error = await rejectionOf(run("yesterday"));
    expect(error.errorType).toBe("RuntimeInputError");
    expect(error.message).toContain("frame_timestamp must be an ISO 8601 date and time or a Unix time in seconds");
  });
});
