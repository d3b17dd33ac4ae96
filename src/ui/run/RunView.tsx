/**
 * Runs the edited workflow: on one image (`POST /workflows/run`), or as a pipeline on an uploaded
 * video or a stream URL (`POST /uploads`, `POST /inference_pipelines/initialise`), watched live.
 */
import { useEffect, useId, useMemo, useState } from "react";
import type { ApiClient, InitialiseRequest } from "../api.js";
import { errorMessage } from "../app/hooks.js";
import type { Catalogue } from "../editor/catalogue.js";
import type { WorkflowDefinition } from "../editor/definition.js";
import type { Validation } from "../editor/validation.js";
import { Chart } from "./Chart.js";
import { FramesTable, LatestImages, OutlierGallery, OutputValues, StatusPanel } from "./panels.js";
import { usePipeline } from "./usePipeline.js";
import { flagCandidates, scoreGuides } from "./workflow-outputs.js";
import { isFlagOutput } from "../../video/flags.js";

type SourceKind = "image" | "video" | "stream";

const IMAGE_INPUTS = new Set(["WorkflowImage", "InferenceImage"]);
const PARAMETER_INPUTS = new Set(["WorkflowParameter", "InferenceParameter"]);

/** A parameter typed as text: JSON when it parses (numbers, booleans, lists), else the text itself. */
function parameterValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The file as a data URL: shown as the run's image, and sent as its base64 part. */
function readDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === "string" ? reader.result : "");
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

interface RunViewProps {
  client: ApiClient;
  definition: WorkflowDefinition;
  /** For the kinds of the outputs: only boolean ones flag frames. */
  catalogue: Catalogue;
  validation: Validation;
}

export function RunView({ client, definition, catalogue, validation }: RunViewProps) {
  const ids = { image: useId(), video: useId(), url: useId(), fps: useId(), imageInput: useId() };
  const [kind, setKind] = useState<SourceKind>("video");
  const [file, setFile] = useState<File | null>(null);
  const [url, setUrl] = useState("");
  const [maxFps, setMaxFps] = useState("");
  const imageInputs = definition.inputs.filter((input) => IMAGE_INPUTS.has(input.type)).map((input) => input.name);
  const [imageInput, setImageInput] = useState<string>("");
  const chosenImageInput = imageInputs.includes(imageInput) ? imageInput : (imageInputs[0] ?? "");
  const parameters = definition.inputs.filter((input) => PARAMETER_INPUTS.has(input.type));
  const [parameterTexts, setParameterTexts] = useState<Record<string, string>>({});
  const candidates = useMemo(() => flagCandidates(definition, catalogue), [definition, catalogue]);
  const guides = useMemo(() => scoreGuides(definition, catalogue), [definition, catalogue]);
  const [flagOutputs, setFlagOutputs] = useState<string[] | null>(null);
  const candidateFlags = new Set(candidates.map((candidate) => candidate.flagName));
  const flags = flagOutputs?.filter((flag) => candidateFlags.has(flag)) ?? [...candidateFlags].filter(isFlagOutput);
  const pipeline = usePipeline(client);
  const [imageRun, setImageRun] = useState<{ busy: boolean; image: string | null; outputs: Record<string, unknown>[] | null; error: string | null }>({
    busy: false,
    image: null,
    outputs: null,
    error: null,
  });

  useEffect(() => setFile(null), [kind]);

  // Parameters left empty take the workflow's defaults.
  const parameterValues: Record<string, unknown> = {};
  for (const input of parameters) {
    const text = parameterTexts[input.name];
    if (text !== undefined && text.trim() !== "") parameterValues[input.name] = parameterValue(text);
  }

  const runImage = async () => {
    if (!file) return;
    setImageRun({ busy: true, image: null, outputs: null, error: null });
    try {
      const image = await readDataUrl(file);
      const value = image.replace(/^data:[^,]*,/, "");
      const answer = await client.run(definition, { ...parameterValues, [chosenImageInput]: { type: "base64", value } });
      setImageRun({ busy: false, image, outputs: answer.outputs, error: null });
    } catch (error) {
      setImageRun({ busy: false, image: null, outputs: null, error: errorMessage(error) });
    }
  };

  const startPipeline = () =>
    pipeline.start(async (): Promise<InitialiseRequest> => {
      let reference = url.trim();
      if (kind === "video") {
        if (!file) throw new Error("Choose a video file first.");
        reference = (await client.upload(file)).video_reference;
      }
      const fps = Number(maxFps);
      return {
        video_reference: reference,
        workflow_specification: definition,
        workflows_parameters: parameterValues,
        image_input_name: chosenImageInput,
        ...(maxFps.trim() !== "" && fps > 0 ? { max_fps: fps } : {}),
        // Sent once chosen, even empty: none ticked means no frame is flagged, not the server's default.
        ...(flagOutputs !== null || flags.length > 0 ? { flag_outputs: flags } : {}),
      };
    });

  const state = pipeline.state.status?.state;
  const canStart = !pipeline.active && chosenImageInput !== "" && (kind === "video" ? file !== null : url.trim() !== "");
  const { state: run } = pipeline;
  const latestImages = Object.values(run.images).sort((a, b) => a.name.localeCompare(b.name));

  return (
    <div className="run">
      <aside className="run-controls">
        <section className="panel" aria-labelledby="source-title">
          <h2 id="source-title">Source</h2>
          {validation.state === "invalid" && (
            <p className="banner warning">The workflow does not validate ({validation.errorType}); the server will refuse it. Fix it in the editor.</p>
          )}
          {imageInputs.length === 0 && <p className="banner warning">The workflow has no image input; add one in the editor.</p>}
          <div className="segmented" role="radiogroup" aria-label="Source type">
            {(
              [
                ["image", "Image"],
                ["video", "Video"],
                ["stream", "Stream"],
              ] as const
            ).map(([value, label]) => (
              <label key={value}>
                <input type="radio" name="source-kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
                {label}
              </label>
            ))}
          </div>
          {kind === "image" && (
            <div className="field">
              <label htmlFor={ids.image}>Image file</label>
              <input id={ids.image} type="file" accept="image/*" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
            </div>
          )}
          {kind === "video" && (
            <div className="field">
              <label htmlFor={ids.video}>Video file</label>
              <input id={ids.video} type="file" accept="video/*,.mp4,.avi,.mkv,.mov,.webm" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
            </div>
          )}
          {kind === "stream" && (
            <div className="field">
              <label htmlFor={ids.url}>Stream URL</label>
              <input
                id={ids.url}
                type="url"
                placeholder="rtsp://camera/stream or https://…/video.mp4"
                value={url}
                onChange={(event) => setUrl(event.target.value)}
              />
            </div>
          )}
          {imageInputs.length > 1 && (
            <div className="field">
              <label htmlFor={ids.imageInput}>Image input</label>
              <select id={ids.imageInput} value={chosenImageInput} onChange={(event) => setImageInput(event.target.value)}>
                {imageInputs.map((name) => (
                  <option key={name}>{name}</option>
                ))}
              </select>
            </div>
          )}
          {parameters.map((input) => (
            <ParameterField
              key={input.name}
              name={input.name}
              defaultValue={input.default_value}
              text={parameterTexts[input.name] ?? ""}
              onChange={(text) => setParameterTexts((current) => ({ ...current, [input.name]: text }))}
            />
          ))}
          {kind !== "image" && (
            <>
              <div className="field">
                <label htmlFor={ids.fps}>Max fps</label>
                <input
                  id={ids.fps}
                  type="number"
                  min={0}
                  step="any"
                  placeholder="as fast as possible"
                  value={maxFps}
                  onChange={(event) => setMaxFps(event.target.value)}
                />
              </div>
              {candidates.length > 0 && (
                <fieldset className="field">
                  <legend>Flag frames when true</legend>
                  {candidates.map(({ name, flagName }) => (
                    <label key={name} className="checkbox">
                      <input
                        type="checkbox"
                        checked={flags.includes(flagName)}
                        onChange={(event) => setFlagOutputs(event.target.checked ? [...flags, flagName] : flags.filter((other) => other !== flagName))}
                      />
                      {name}
                    </label>
                  ))}
                </fieldset>
              )}
            </>
          )}
          <div className="button-row">
            {kind === "image" ? (
              <button type="button" className="primary" disabled={!file || imageRun.busy || chosenImageInput === ""} onClick={runImage}>
                {imageRun.busy ? "Running…" : "Run on image"}
              </button>
            ) : (
              <>
                <button type="button" className="primary" disabled={!canStart} onClick={startPipeline}>
                  Start
                </button>
                <button type="button" disabled={!pipeline.active || state !== "running"} onClick={pipeline.pause}>
                  Pause
                </button>
                <button type="button" disabled={!pipeline.active || state !== "paused"} onClick={pipeline.resume}>
                  Resume
                </button>
                <button type="button" className="danger" disabled={!pipeline.active} onClick={pipeline.terminate}>
                  Terminate
                </button>
              </>
            )}
          </div>
          {(pipeline.error ?? imageRun.error) && (
            <p className="error" role="alert">
              {kind === "image" ? imageRun.error : pipeline.error}
            </p>
          )}
          {kind !== "image" && pipeline.pipelineId && (
            <p className="muted small">
              Pipeline <code>{pipeline.pipelineId}</code>
              {run.ended ? " — ended" : ""}
            </p>
          )}
        </section>
        {kind !== "image" && <StatusPanel report={run.status} />}
      </aside>
      <div className="run-results">
        {kind === "image" ? (
          <section className="panel" aria-labelledby="result-title">
            <h2 id="result-title">Result</h2>
            {imageRun.outputs ? (
              <>
                {imageRun.image && (
                  <figure className="run-image">
                    <img src={imageRun.image} alt="Image run on" />
                    <figcaption>{file?.name ?? "image"}</figcaption>
                  </figure>
                )}
                {imageRun.outputs.map((outputs, index) => (
                  <OutputValues key={index} outputs={outputs} />
                ))}
              </>
            ) : (
              <p className="muted">Choose an image and press “Run on image”.</p>
            )}
          </section>
        ) : (
          <>
            <OutlierGallery entries={run.gallery} total={run.status?.flagged ?? run.gallery.length} />
            <Chart series={run.series} switches={run.switches} guides={guides} />
            <LatestImages images={latestImages} />
            <FramesTable frames={run.recent} />
          </>
        )}
      </div>
    </div>
  );
}

function ParameterField({ name, defaultValue, text, onChange }: { name: string; defaultValue: unknown; text: string; onChange: (text: string) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{name}</label>
      <input
        id={id}
        type="text"
        value={text}
        placeholder={defaultValue === undefined || defaultValue === null ? "" : `default: ${JSON.stringify(defaultValue)}`}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
