/**
 * Video (`sightline/video`): a workflow on video files, live streams, webcams and image folders.
 * `VideoPipeline` is what `sightline run --video` and the server's pipelines use; the
 * multiplexer, sources and sinks underneath are exported for programs that drive frames
 * themselves.
 *
 * ```ts
 * const engine = compile(definition, { isolateElementErrors: true });
 * const pipeline = new VideoPipeline({ engine, videos: ["clip.mp4", "cam=rtsp://cam/1"], onTick: (tick, results) => … });
 * const status = await pipeline.run();
 * ```
 */
export { VideoPipeline, isFlagged, type FrameResult, type PipelineOptions } from "./pipeline.js";
export { frameLine, frameRecord } from "./frame-record.js";
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
