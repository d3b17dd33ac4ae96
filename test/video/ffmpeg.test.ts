import { afterEach, describe, expect, it } from "vitest";
import { FfmpegNotFoundError, VideoMultiplexer, findFfmpeg } from "../../src/video/index.js";
import { scratchDir } from "./helpers.js";

const scratch = scratchDir("video-no-ffmpeg");

const saved = process.env.SIGHTLINE_FFMPEG;
afterEach(() => {
  if (saved === undefined) delete process.env.SIGHTLINE_FFMPEG;
  else process.env.SIGHTLINE_FFMPEG = saved;
});

describe("finding FFmpeg", () => {
  it("finds the system ffmpeg and ffprobe", async () => {
    const tools = await findFfmpeg({});
    expect(tools.ffmpeg).toBe("ffmpeg");
    expect(tools.ffprobe).toBe("ffprobe");
    expect(tools.version).not.toBe("unknown");
    expect(["-fps_mode", "-vsync"]).toContain(tools.passthroughArgs[0]);
  });

  it("says how to install FFmpeg when SIGHTLINE_FFMPEG points to nothing", async () => {
    const error = await findFfmpeg({ SIGHTLINE_FFMPEG: "/nonexistent/ffmpeg" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FfmpegNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain("SIGHTLINE_FFMPEG=/nonexistent/ffmpeg");
    expect(message).toContain("no such executable");
    expect(message).toContain("apt-get install ffmpeg");
    expect(message).toContain("brew install ffmpeg");
    expect((error as FfmpegNotFoundError).toBody()).toMatchObject({ error_type: "FfmpegNotFoundError" });
  });

  it("fails opening a video run without FFmpeg, but not a run over image folders only", async () => {
    process.env.SIGHTLINE_FFMPEG = "/nonexistent";
    await expect(VideoMultiplexer.open(["clip.mp4"])).rejects.toThrow(/ffmpeg was not found[\s\S]*apt-get install ffmpeg/);
    const multiplexer = await VideoMultiplexer.open([scratch()]);
    expect(await multiplexer.next()).toBeNull();
    expect(multiplexer.stats()[0]).toMatchObject({ kind: "image-folder", state: "failed" });
  });
});
