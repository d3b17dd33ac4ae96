/** The run view's read-only panels: outlier gallery, latest images, recent frames, pipeline status, one run's outputs. */
import type { FrameEvent, PipelineReport, SourceEvent } from "../wire.js";
import { pipelineHealth } from "./health.js";
import { compactValue, imageDataUrl, isSerialisedImage, type GalleryEntry, type LatestImage } from "./run-state.js";

export function timeOf(timestamp: string): string {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return timestamp;
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, fractionalSecondDigits: 2 });
}

export function OutlierGallery({ entries, total }: { entries: GalleryEntry[]; total: number }) {
  return (
    <section className="panel gallery-panel" aria-labelledby="gallery-title">
      <h2 id="gallery-title">
        Outlier gallery <span className="muted">({total} flagged)</span>
      </h2>
      {entries.length === 0 ? (
        <p className="muted">Flagged frames appear here, newest first.</p>
      ) : (
        <ul className="gallery" aria-label="Outlier gallery">
          {entries.map((entry) => (
            <li key={entry.key} className="gallery-item" aria-label={`Frame ${entry.frameNumber}, ${timeOf(entry.timestamp)}, source ${entry.source}`}>
              {entry.thumbnail ? (
                <img src={entry.thumbnail} alt={`Frame ${entry.frameNumber} of ${entry.source}`} />
              ) : (
                <div className="gallery-missing">no thumbnail</div>
              )}
              <div className="gallery-caption">
                <strong>Frame {entry.frameNumber}</strong>
                <span>{timeOf(entry.timestamp)}</span>
                <span className="muted">source {entry.source}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function LatestImages({ images }: { images: LatestImage[] }) {
  if (images.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="images-title">
      <h2 id="images-title">Latest images</h2>
      <div className="latest-images">
        {images.map((image) => (
          <figure key={image.name}>
            <img src={image.dataUrl} alt={`${image.name}, frame ${image.frameNumber}`} />
            <figcaption>
              {image.name} · frame {image.frameNumber}
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}

export function FramesTable({ frames }: { frames: FrameEvent[] }) {
  const names = [...new Set(frames.flatMap((frame) => Object.keys(frame.outputs)))];
  return (
    <section className="panel" aria-labelledby="frames-title">
      <h2 id="frames-title">Latest frames</h2>
      {frames.length === 0 ? (
        <p className="muted">No frame yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="frames" aria-label="Latest frames">
            <thead>
              <tr>
                <th scope="col">frame</th>
                <th scope="col">time</th>
                <th scope="col">source</th>
                <th scope="col">flagged</th>
                {names.map((name) => (
                  <th key={name} scope="col">
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {frames.map((frame) => (
                <tr key={`${frame.source_index}:${frame.frame_number}`} className={frame.flagged ? "flagged" : frame.error ? "errored" : undefined}>
                  <td>{frame.frame_number}</td>
                  <td>{timeOf(frame.frame_timestamp)}</td>
                  <td>{frame.source}</td>
                  <td>{frame.flagged ? "yes" : ""}</td>
                  {frame.error ? (
                    <td colSpan={Math.max(1, names.length)} className="error" title={frame.error.message}>
                      {frame.error.error_type}: {frame.error.message}
                    </td>
                  ) : (
                    names.map((name) => <td key={name}>{compactValue(frame.outputs[name])}</td>)
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** What a source event says beyond its type, for one line of the list. */
function eventDetail(event: SourceEvent): string {
  switch (event.type) {
    case "error":
      return event.frameNumber === null ? event.message : `frame ${event.frameNumber}: ${event.message}`;
    case "failed":
      return event.message;
    case "reconnecting":
      return `attempt ${event.attempt} in ${(event.delayMs / 1000).toFixed(1)} s (${event.reason})`;
    case "ended":
      return `${event.frames} frames`;
    case "connected":
      return event.attempt > 0 ? `after ${event.attempt} attempts` : "";
    case "resumed":
      return event.live ? `after frame ${event.afterFrame}; frames since ${event.since} were not seen` : `after frame ${event.afterFrame}`;
  }
}

const number = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? "—" : value.toFixed(digits));

export function StatusPanel({ report }: { report: PipelineReport | null }) {
  if (!report) return null;
  const health = pipelineHealth(report);
  const entries: [string, string][] = [
    ["state", health.label],
    ["frames", String(report.frames)],
    ["fps", number(report.fps)],
    ["flagged", String(report.flagged)],
    ["dropped", String(report.dropped)],
    ["errors", String(report.errors)],
    ["elapsed", `${number(report.elapsed_s)} s`],
    ["latency p50", `${number(report.latency.end_to_end.p50_ms)} ms`],
  ];
  return (
    <section className="panel status-panel" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      <dl className="status-grid" aria-label="Pipeline status">
        {entries.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd className={label === "state" ? `health-${health.tone}` : undefined}>{value}</dd>
          </div>
        ))}
      </dl>
      {health.detail && !report.failure && (
        <p className={`banner ${health.tone === "error" ? "error" : "warning"}`} role="status" aria-label="Source health">
          {health.detail}
        </p>
      )}
      {report.failure && (
        <p className="error" role="alert">
          {report.failure.error_type}: {report.failure.message}
        </p>
      )}
      <div className="table-scroll">
        <table className="sources" aria-label="Sources">
          <thead>
            <tr>
              <th scope="col">source</th>
              <th scope="col">state</th>
              <th scope="col">decoded</th>
              <th scope="col">dropped</th>
              <th scope="col">fps</th>
              <th scope="col">errors</th>
            </tr>
          </thead>
          <tbody>
            {report.sources.map((source) => (
              <tr key={source.source} title={source.reference}>
                <td>{source.source}</td>
                <td className={`state-${source.state}`}>{source.state}</td>
                <td>
                  {source.framesDecoded}
                  {source.totalFrames ? ` / ${source.totalFrames}` : ""}
                  {source.framesWithoutPixels > 0 ? ` (${source.framesWithoutPixels} without pixels: no step reads them)` : ""}
                </td>
                <td>{source.framesDropped}</td>
                <td>{number(source.measuredFps ?? source.declaredFps)}</td>
                <td>{source.errors + source.reconnects > 0 ? `${source.errors} (${source.reconnects} reconnects)` : "0"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {report.source_events.length > 0 && (
        <ul className="source-events" aria-label="Source events">
          {report.source_events.slice(-4).map((event, index) => (
            <li key={`${event.at}:${index}`}>
              {timeOf(event.at)} {event.source}: {event.type}
              {eventDetail(event) && ` — ${eventDetail(event)}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One `/workflows/run` answer: images shown, everything else as JSON (images replaced by a note). */
export function OutputValues({ outputs }: { outputs: Record<string, unknown> }) {
  const withoutImages = (value: unknown): unknown => {
    if (isSerialisedImage(value)) return "[image]";
    if (Array.isArray(value)) return value.map(withoutImages);
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutImages(inner)]));
    return value;
  };
  return (
    <div className="output-values">
      {Object.entries(outputs).map(([name, value]) => {
        const images = isSerialisedImage(value) ? [value] : Array.isArray(value) ? value.filter(isSerialisedImage) : [];
        return (
          <div key={name} className="output-value">
            <h3>{name}</h3>
            {images.map((image, index) => (
              <img key={index} src={imageDataUrl(image)} alt={`${name} ${index + 1}`} />
            ))}
            {images.length === 0 || !isSerialisedImage(value) ? <pre className="code">{JSON.stringify(withoutImages(value), null, 2)}</pre> : null}
          </div>
        );
      })}
    </div>
  );
}
