/**
 * Video I/O: sources (files, live URLs, webcams, image folders) decoded by FFmpeg children, the
 * multiplexer that turns them into ticks of one frame per source, and the sinks results go to.
 *
 * ```ts
 * const video = await VideoMultiplexer.open(["clip.mp4", "rtsp://cam/1"], { maxFps: 10, onEvent });
 * const sinks = await ResultSinks.open({ serialise, outDir: "out", sources: video.sources.map((s) => s.id) });
 * for await (const tick of video) {
 *   const results = await engine.run({ image: tick.frames.map((f) => f.image), ...params });
 *   await sinks.write(tick, results);
 * }
 * await sinks.close();
 * ```
 */
export { FfmpegNotFoundError, FrameNotDecodedError, SourceConnectionError, VideoSinkError } from "./errors.js";
export { findFfmpeg, INSTALL_HINT, type FfmpegTools } from "./ffmpeg.js";
export { classifyReference, isLiveKind, parseVideoArgument, redactReference } from "./reference.js";
export { DEFAULT_BATCH_COLLECTION_TIMEOUT_MS, VideoMultiplexer, type MultiplexerOptions, type SourceFrame, type Tick } from "./multiplexer.js";
export { resolveKinds, type SourceDefaults, type VideoSourceSpec } from "./sources/open.js";
export {
  DEFAULT_FOLDER_FPS,
  DEFAULT_PREFETCH_FRAMES,
  DEFAULT_RECONNECT,
  FrameSource,
  type DecodedFrame,
  type FrameInfo,
  type ReconnectOptions,
} from "./sources/source.js";
export type { FrameLine, FrameRecord, LatencySummary, PipelineState, PipelineStatus, SourceEvent, SourceKind, SourceState, SourceStats } from "./status.js";
export { probeVideoFile, type FileProbe } from "./sources/video-file.js";
export { JsonLinesSink } from "./sinks/json-lines.js";
export { ImageFileSink } from "./sinks/image-files.js";
export { VideoFileSink, type VideoFileSinkOptions } from "./sinks/video-file.js";
export { ResultSinks, videoPathFor, type ResultSinksOptions, type VideoOutputSpec } from "./sinks/results.js";
