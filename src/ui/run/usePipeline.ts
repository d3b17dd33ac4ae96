/**
 * One server-side pipeline at a time: start it, follow its events (frames are folded in once
 * per animation frame, so a fast stream costs one render per screen refresh), pause, resume,
 * terminate. When the event stream ends, the frames it did not deliver (a short video may finish
 * before the stream is open; a slow tab skips frames) are fetched with `consume`.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import type { ApiClient, InitialiseRequest } from "../api.js";
import { errorMessage } from "../app/hooks.js";
import type { FrameEvent, PipelineReport } from "../wire.js";
import { INITIAL_RUN_STATE, runReducer, type RunState } from "./run-state.js";

export interface PipelineControls {
  state: RunState;
  pipelineId: string | null;
  /** True from the start request until the pipeline has ended. */
  active: boolean;
  error: string | null;
  start: (prepare: () => Promise<InitialiseRequest>) => Promise<void>;
  pause: () => Promise<void>;
  resume: () => Promise<void>;
  terminate: () => Promise<void>;
}

export function usePipeline(client: ApiClient): PipelineControls {
  const [state, dispatch] = useReducer(runReducer, INITIAL_RUN_STATE);
  const [pipelineId, setPipelineId] = useState<string | null>(null);
  const [active, setActive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const source = useRef<EventSource | null>(null);
  const pending = useRef<FrameEvent[]>([]);
  const flushScheduled = useRef<number | null>(null);

  const flush = useCallback(() => {
    flushScheduled.current = null;
    const frames = pending.current;
    pending.current = [];
    if (frames.length > 0) dispatch({ type: "frames", frames });
  }, []);

  const close = useCallback(() => {
    source.current?.close();
    source.current = null;
  }, []);

  useEffect(
    () => () => {
      close();
      if (flushScheduled.current !== null) cancelAnimationFrame(flushScheduled.current);
    },
    [close],
  );

  const follow = useCallback(
    (id: string) => {
      const events = client.liveEvents(id);
      source.current = events;
      events.addEventListener("frame", (event) => {
        pending.current.push(JSON.parse((event as MessageEvent<string>).data) as FrameEvent);
        flushScheduled.current ??= requestAnimationFrame(flush);
      });
      events.addEventListener("status", (event) => {
        dispatch({ type: "status", report: JSON.parse((event as MessageEvent<string>).data) as PipelineReport });
      });
      events.addEventListener("end", () => {
        // Closed before the browser reconnects: a finished pipeline would answer with its end again.
        close();
        flush();
        dispatch({ type: "end" });
        setActive(false);
        client.consume(id).then(
          (frames) => dispatch({ type: "frames", frames }),
          () => undefined, // terminated pipelines are gone, and so are their buffers
        );
      });
      events.onerror = () => {
        if (events.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
        close();
        setActive(false);
        setError("Lost the pipeline's event stream.");
        client.status(id).then(
          (report) => dispatch({ type: "status", report }),
          () => undefined,
        );
      };
    },
    [client, close, flush],
  );

  const start = useCallback(
    async (prepare: () => Promise<InitialiseRequest>) => {
      close();
      pending.current = [];
      dispatch({ type: "reset" });
      setError(null);
      setPipelineId(null);
      setActive(true);
      try {
        const id = await client.initialise(await prepare());
        setPipelineId(id);
        follow(id);
      } catch (failure) {
        setActive(false);
        setError(errorMessage(failure));
      }
    },
    [client, close, follow],
  );

  const command = useCallback(
    async (action: (id: string) => Promise<unknown>) => {
      if (!pipelineId) return;
      try {
        await action(pipelineId);
        setError(null);
        dispatch({ type: "status", report: await client.status(pipelineId) });
      } catch (failure) {
        setError(errorMessage(failure));
      }
    },
    [client, pipelineId],
  );

  return {
    state,
    pipelineId,
    active,
    error,
    start,
    pause: () => command((id) => client.pause(id)),
    resume: () => command((id) => client.resume(id)),
    terminate: async () => {
      if (!pipelineId) return;
      try {
        await client.terminate(pipelineId);
      } catch (failure) {
        setError(errorMessage(failure));
      }
    },
  };
}
