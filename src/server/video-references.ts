/**
 * What a client may name as a pipeline's `video_reference`.
 *
 * Security: a server-side path or device makes the server open files and cameras of the machine
 * it runs on, on a client's say-so (any file FFmpeg can read: an attacker probes the disk through
 * error messages, or reads images/videos it should not see). That is fine when the operator is
 * the client — the default on a loopback host — and not otherwise, so it is the
 * `allowLocalVideo` switch (`--allow-local-video` / `--no-allow-local-video`). Without it only
 * network streams (rtsp://, http(s)://, …) and files uploaded with `POST /uploads`
 * (`upload:<id>`) are accepted. Network URLs are always accepted, as upstream does; they let a
 * client make the server connect to hosts it can reach (its LAN included) — put the server
 * behind an API key when that matters.
 */
import { RuntimeInputError } from "../errors/index.js";
import { classifyReference, parseVideoArgument, type VideoSourceSpec } from "../video/index.js";
import { UPLOAD_PREFIX, type UploadStore } from "./upload-store.js";

export interface VideoReferencePolicy {
  allowLocalVideo: boolean;
  uploads: UploadStore;
}

const LOOKS_LIKE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** `"name=reference"` names the source as on the CLI; a number is a device index as upstream's. */
export async function resolveVideoReference(raw: string | number, policy: VideoReferencePolicy): Promise<VideoSourceSpec> {
  const { name, reference } = parseVideoArgument(String(raw));
  if (reference.startsWith(UPLOAD_PREFIX)) {
    // The file lies in the server's private folder: clients see the reference they gave.
    return { name, reference: policy.uploads.resolve(reference.slice(UPLOAD_PREFIX.length)), shownAs: reference, kind: "file" };
  }
  // Without local access, a reference that is not even a URL is refused before the file system is looked at.
  const kind = policy.allowLocalVideo || LOOKS_LIKE_URL.test(reference) ? (await classifyReference(reference)).kind : "file";
  if (kind !== "stream" && !policy.allowLocalVideo) {
    throw new RuntimeInputError(
      `video_reference "${reference}" names a ${kind === "webcam" ? "camera" : "file or folder"} on the server, which this server does not open for clients ` +
        "(it would expose the server's files and devices). Upload the file with POST /uploads and pass upload:<id>, use a stream URL, " +
        "or start the server with --allow-local-video.",
      { context: "pipeline_initialisation" },
    );
  }
  return { name, reference, kind };
}
