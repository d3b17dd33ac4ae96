/**
 * Errors of the video layer. They join the workflow error hierarchy so the CLI and the server
 * print them like any other error; `SourceConnectionError` is upstream's name (camera/exceptions.py).
 */
import { WorkflowError } from "../errors/index.js";

/** FFmpeg (or ffprobe) is not installed, or `SIGHTLINE_FFMPEG` points to nothing usable. */
export class FfmpegNotFoundError extends WorkflowError {
  override readonly errorType = "FfmpegNotFoundError";
}

/** A source could not be opened or read (missing file, no video stream, refused connection…). */
export class SourceConnectionError extends WorkflowError {
  override readonly errorType = "SourceConnectionError";
}

/** An encoder (video-file sink) failed. */
export class VideoSinkError extends WorkflowError {
  override readonly errorType = "VideoSinkError";
}

/**
 * A step read the pixels of a frame the decoder was told no step would read (a block marked
 * `deterministic` or `imagesMetadataOnly` that is not): the frame's other steps still run.
 */
export class FrameNotDecodedError extends WorkflowError {
  override readonly errorType = "FrameNotDecodedError";
}
