/**
 * A live source (RTSP/HTTP/HLS/… URL or a v4l2 webcam). ffmpeg is read as fast as it decodes,
 * so it never falls behind real time; only the freshest frame is kept and every frame replaced
 * unseen counts as dropped. A stall or an exit restarts ffmpeg after an exponential backoff;
 * the source ends only when stopped or when `maxAttempts` reconnections in a row fail. Frames are
 * numbered in decoding order from 1, or from N + 1 when started after frame N (`startAfterFrame`:
 * a resumed source continues its numbering; the frames of the gap were never seen).
 */
import { describeExit, isErrorLevel, type FfmpegTools, type LogLine } from "../ffmpeg.js";
import { PpmStreamError } from "../ppm.js";
import { backoffDelay, declaredFpsFromStreamLine } from "../timing.js";
import { FfmpegDecoder } from "./ffmpeg-decoder.js";
import { DEFAULT_RECONNECT, FrameSource, Signal, type DecodedFrame, type ReconnectOptions } from "./source.js";

/** Input options by kind: TCP makes RTSP survive packet loss (UDP loss shows up as smeared frames). */
function liveInputArgs(kind: string, reference: string): string[] {
  if (kind === "webcam") return ["-f", "v4l2"];
  if (/^rtsps?:/i.test(reference)) return ["-rtsp_transport", "tcp"];
  return [];
}

export class LiveStreamSource extends FrameSource {
  readonly live = true;
  private freshest: DecodedFrame | undefined;
  private decoder: FfmpegDecoder | null = null;
  private readonly wake = new Signal();
  private readonly settings: ReconnectOptions = { ...DEFAULT_RECONNECT, ...this.options.reconnect };

  get hasFrame(): boolean {
    return this.freshest !== undefined;
  }

  take(): DecodedFrame | undefined {
    const frame = this.freshest;
    if (frame) {
      this.freshest = undefined;
      this.framesDelivered++;
    }
    return frame;
  }

  protected discardFrames(): void {
    this.freshest = undefined;
  }

  private get tools(): FfmpegTools {
    if (!this.options.tools) throw new Error("a live source needs FFmpeg");
    return this.options.tools;
  }

  protected async run(): Promise<void> {
    /** The attempt about to be made: 0 is the first connection, n > 0 the n-th retry since frames last came. */
    let attempt = 0;
    let reason = "";
    while (!this.stopping) {
      if (attempt > 0) {
        if (attempt > this.settings.maxAttempts) {
          this.fail(`gave up after ${this.settings.maxAttempts} reconnection attempts: ${reason}`);
          return;
        }
        const delayMs = backoffDelay(attempt, this.settings);
        this.state = "reconnecting";
        this.reconnects++;
        this.emit({ ...this.base(), type: "reconnecting", attempt, delayMs, reason: this.redact(reason) });
        await this.sleep(delayMs);
        if (this.stopping) break;
      }
      const delivered = await this.connect(attempt);
      if (this.stopping) break;
      reason = delivered.reason;
      attempt = delivered.frames > 0 ? 1 : attempt + 1;
    }
  }

  /** One ffmpeg run: frames until it exits, stalls or we stop. */
  private async connect(attempt: number): Promise<{ frames: number; reason: string }> {
    let sawOutputSection = false;
    let stalled = false;
    const onLog = (line: LogLine): void => {
      if (line.message.startsWith("Output #")) sawOutputSection = true;
      if (!sawOutputSection && this.declaredFps === null) this.declaredFps = declaredFpsFromStreamLine(line.message);
      // Failed connection attempts are told by `reconnecting` events; what ffmpeg says while we
      // are killing it is our own doing.
      if (isErrorLevel(line.level) && this.state === "running" && !stalled && !this.stopping) {
        this.reportError(this.startAfter + this.framesDecoded + 1, line.message);
      }
    };
    const decoder = new FfmpegDecoder(
      this.tools,
      {
        input: this.reference,
        inputArgs: [...liveInputArgs(this.kind, this.reference), ...(this.options.inputArgs ?? [])],
        scale: this.options.scale,
        logLevel: "info",
      },
      onLog,
    );
    this.decoder = decoder;
    // Covers connecting too: an unanswered RTSP handshake is a stall like any other.
    const watchdog = setTimeout(() => {
      stalled = true;
      void decoder.process.kill();
    }, this.settings.stallTimeoutMs);
    let frames = 0;
    let failure: string | null = null;
    try {
      for await (const raw of decoder.frames()) {
        watchdog.refresh();
        if (frames === 0) {
          this.state = "running";
          this.emit({ ...this.base(), type: "connected", attempt });
        }
        frames++;
        const frame = this.stamp(raw, this.startAfter + this.framesDecoded + 1, new Date(), false);
        if (this.freshest) this.framesDropped++;
        this.freshest = frame;
        this.changed();
      }
    } catch (error) {
      failure = error instanceof PpmStreamError ? `unexpected decoder output: ${error.message}` : (error as Error).message;
    } finally {
      clearTimeout(watchdog);
    }
    const exit = await decoder.process.kill();
    this.decoder = null;
    const reason = stalled ? `no frame for ${this.settings.stallTimeoutMs} ms` : (failure ?? describeExit(exit, decoder.process.lastMessages));
    return { frames, reason };
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.wake.wait()]);
    clearTimeout(timer);
  }

  protected async interrupt(): Promise<void> {
    this.wake.notify();
    await this.decoder?.process.kill();
  }
}
